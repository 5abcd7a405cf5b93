"""The science of the knowledge map as plain functions on arrays and tensors: no gradio, no plotly."""
