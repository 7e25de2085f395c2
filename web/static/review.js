// The review page's behaviour: one preview plays at a time, loop, A/B at the same moment, a
// playhead over the picture, decisions and "continue" through the JSON calls, progress until
// the next gate, and a notice when review.yml or the run changes elsewhere.
"use strict";

(() => {
  const token = document.querySelector('meta[name="chromatic-token"]').content;
  const body = document.body;
  const phase = body.dataset.phase || null;
  let reviewStamp = body.dataset.reviewStamp;
  let current = null; // the audio element last played
  let following = false; // a resume started here is running
  let writes = 0; // decisions saved by this page (a poll begun before one is stale)
  const slots = { a: null, b: null };

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const cardOf = (el) => el.closest("article.card");
  // Play from here: a play() cut short by a pause() (another preview started, a quick second
  // click) is what the person asked for, not an error; anything else still surfaces.
  const start = (audio) => {
    const playing = audio.play();
    if (playing) playing.catch((err) => { if (err.name !== "AbortError") throw err; });
  };

  async function call(method, url, payload) {
    const options = { method, headers: { "X-Chromatic-Token": token } };
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    const response = await fetch(url, options);
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }

  // --- Playback: one at a time, loop, playhead, click to seek -------------------------------
  const audios = $$("audio");
  audios.forEach((audio) => {
    audio.addEventListener("play", () => {
      audios.forEach((other) => { if (other !== audio) other.pause(); });
      current = audio;
      $$("article.card").forEach((c) => c.classList.toggle("playing", c === cardOf(audio)));
      requestAnimationFrame(drawPlayhead);
    });
  });

  function drawPlayhead() {
    $$(".playhead").forEach((p) => { p.hidden = true; });
    if (!current) return;
    const card = cardOf(current);
    if (!card) return;
    const seconds = parseFloat(card.dataset.seconds);
    const head = $(".playhead", card);
    if (!head || !(seconds > 0)) return;
    const left = parseFloat(card.dataset.plotLeft);
    const right = parseFloat(card.dataset.plotRight);
    const frac = Math.min(1, current.currentTime / seconds);
    head.style.left = `${(left + frac * (right - left)) * 100}%`;
    head.hidden = false;
    if (!current.paused) requestAnimationFrame(drawPlayhead);
  }

  $$("article.card .roll").forEach((roll) => {
    roll.addEventListener("click", (event) => {
      const card = cardOf(roll);
      const audio = $("audio", card);
      const seconds = parseFloat(card.dataset.seconds);
      if (!audio || !(seconds > 0)) return;
      const box = roll.getBoundingClientRect();
      const left = parseFloat(card.dataset.plotLeft);
      const right = parseFloat(card.dataset.plotRight);
      const frac = ((event.clientX - box.left) / box.width - left) / (right - left);
      audio.currentTime = Math.max(0, Math.min(1, frac)) * seconds;
      start(audio);
    });
  });

  $$("button.loop").forEach((button) => {
    button.addEventListener("click", () => {
      const audio = $("audio", cardOf(button));
      audio.loop = !audio.loop;
      button.setAttribute("aria-pressed", String(audio.loop));
    });
  });

  // --- A/B -----------------------------------------------------------------------------------
  function setSlot(which, card) {
    slots[which] = card;
    $(`#ab-${which}`).textContent = card.dataset.id;
    $$(`button.set-${which}`).forEach((b) => b.classList.toggle("active", cardOf(b) === card));
    $("#ab-switch").disabled = !(slots.a && slots.b);
  }
  $$("button.set-a").forEach((b) => b.addEventListener("click", () => setSlot("a", cardOf(b))));
  $$("button.set-b").forEach((b) => b.addEventListener("click", () => setSlot("b", cardOf(b))));

  function switchAB() {
    if (!(slots.a && slots.b)) return;
    const audioA = $("audio", slots.a);
    const audioB = $("audio", slots.b);
    const fromA = current === audioA;
    const from = fromA ? audioA : audioB;
    const to = fromA ? audioB : audioA;
    const at = current === audioA || current === audioB ? from.currentTime : 0;
    const wasPlaying = current && !current.paused;
    to.currentTime = Math.min(at, to.duration || at);
    to.loop = from.loop || to.loop;
    if (wasPlaying || current !== from) start(to); else { current = to; drawPlayhead(); }
  }
  const abButton = $("#ab-switch");
  if (abButton) abButton.addEventListener("click", switchAB);

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.metaKey || event.ctrlKey) return;
    if (event.key === "x" || event.key === "X") { switchAB(); event.preventDefault(); }
    if ((event.key === "l" || event.key === "L") && current) {
      current.loop = !current.loop;
      const button = $("button.loop", cardOf(current));
      if (button) button.setAttribute("aria-pressed", String(current.loop));
    }
    if (event.key === " " && current && !event.target.closest("button, audio")) {
      if (current.paused) start(current); else current.pause();
      event.preventDefault();
    }
  });

  // --- Decisions -----------------------------------------------------------------------------
  function showState(state) {
    if (!state || state.status === "running") return;
    reviewStamp = state.review_stamp;
    const ready = $("#ready-text");
    const button = $("#continue");
    if (ready && button) {
      ready.textContent = state.ready_text;
      ready.title = state.not_ready || "";
      button.disabled = Boolean(state.not_ready);
    }
    const banner = $("#banner");
    banner.textContent = state.error || "";
    banner.hidden = !state.error;
    $("#approved-count").textContent = $$("article.card.status-approved").length;
  }

  $$("form.decide").forEach((form) => {
    form.addEventListener("submit", (event) => event.preventDefault());
    $$("button[data-status]", form).forEach((button) => {
      button.addEventListener("click", async () => {
        const card = cardOf(form);
        const msg = $(".msg", form);
        const status = button.dataset.status;
        const payload = {
          phase,
          id: form.dataset.id,
          status,
          label: status === "approved" ? form.elements.label.value : null,
          notes: form.elements.notes.value,
        };
        msg.className = "msg";
        msg.textContent = "saving…";
        $$("button", form).forEach((b) => { b.disabled = true; });
        try {
          writes += 1; // odd while a write is in flight: polls then are dropped
          const data = await call("POST", "/api/decision", payload);
          const decision = data.decision;
          card.classList.remove("status-pending", "status-approved", "status-rejected");
          card.classList.add(`status-${decision.status}`);
          $(".badge", card).textContent = decision.status;
          $(".badge-label", card).textContent = decision.label || "";
          if (decision.label) form.elements.label.value = decision.label;
          msg.className = "msg ok";
          msg.textContent = decision.status === "approved"
            ? `approved as ${decision.label}` : decision.status;
          call("GET", "/api/state").then(showState, () => {});
        } catch (error) {
          msg.className = "msg error";
          msg.textContent = error.message;
        } finally {
          writes += 1;
          $$("button", form).forEach((b) => { b.disabled = false; });
        }
      });
    });
  });

  // --- Continue and progress -------------------------------------------------------------------
  function showJob(job) {
    const panel = $("#progress");
    panel.hidden = false;
    const fill = $("#progress-fill");
    const text = $("#progress-text");
    const error = $("#progress-error");
    if (job.render) {
      $("#progress-phase").textContent = "render";
      fill.style.width = `${(100 * job.step) / Math.max(1, job.total)}%`;
      text.textContent = `${job.render} (${job.step}/${job.total})`;
    } else if (job.phase) {
      $("#progress-phase").textContent = job.phase;
      fill.style.width = `${(100 * job.generation) / Math.max(1, job.generations)}%`;
      const best = job.best === null ? "" : ` · best ${job.best.toFixed(3)}`;
      text.textContent = `evolving ${job.phase}: generation ${job.generation}/${job.generations}${best}`;
    }
    error.hidden = !job.error;
    error.textContent = job.error || "";
  }

  async function followJob() {
    following = true;
    $$("form.decide button, #continue").forEach((b) => { b.disabled = true; });
    for (;;) {
      let job;
      try { job = await call("GET", "/api/job"); } catch (e) { job = { state: "running" }; }
      showJob(job);
      if (job.state === "finished") { window.location.replace("/"); return; }
      if (job.state === "failed") {
        following = false;
        $("#progress-text").textContent = "the agent stopped";
        $$("form.decide button").forEach((b) => { b.disabled = false; });
        $("#continue").disabled = false;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }

  const continueButton = $("#continue");
  if (continueButton) {
    continueButton.addEventListener("click", async () => {
      continueButton.disabled = true;
      try {
        await call("POST", "/api/continue", { phase });
        followJob();
      } catch (error) {
        const banner = $("#banner");
        banner.textContent = error.message;
        banner.hidden = false;
        continueButton.disabled = false;
      }
    });
  }
  if (body.dataset.job === "running") followJob();

  // --- Changes made elsewhere (a hand edit, a resume in a terminal) --------------------------
  setInterval(async () => {
    if (following || writes % 2 === 1) return;
    const seen = writes;
    let state;
    try { state = await call("GET", "/api/state"); } catch (e) { return; }
    if (state.status === "running" || seen !== writes) return;
    const moved = state.status !== body.dataset.status || (state.phase || null) !== phase;
    const edited = !moved && state.review_stamp !== reviewStamp;
    if (moved || edited) {
      $("#changed-text").textContent = moved
        ? "The run moved on since this page was drawn."
        : "review.yml changed on disk.";
      $("#changed").hidden = false;
    }
  }, 3000);
})();
