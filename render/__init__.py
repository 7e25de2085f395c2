"""Rendering: assembly of approved parts into a song (assemble), SoundFont synthesis (synth,
backends, soundfont), stem files (stem_files), candidate previews, per-bar analysis, the
RenderPlan (renderplan, renderplan_model), mix and master (mix, limiter, loudness) and the whole
pipeline (pipeline).

Nothing heavy is imported here; import the submodule you need."""
