"""Predict a RenderPlan from an analysis with a trained JSON model (see render.renderplan_model)."""

from __future__ import annotations

from render.renderplan_model import predict_renderplan

__all__ = ["predict_renderplan"]
