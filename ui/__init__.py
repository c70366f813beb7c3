"""The chat a person uses: a Gradio app over the library API (``factcheck ui``)."""
