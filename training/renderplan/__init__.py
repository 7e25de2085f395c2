"""RenderPlan model (seed 000): dataset building, training (linear baseline and a small MLP)
and prediction. The runtime half (features, JSON model, predict) is render.renderplan_model."""
