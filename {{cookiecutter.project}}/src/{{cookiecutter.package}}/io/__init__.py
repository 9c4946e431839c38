"""Side effects: data files, the model record, MLflow tracking and registry."""
