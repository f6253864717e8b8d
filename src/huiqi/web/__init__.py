"""The pages of the web app: views per audience, Jinja2 templates, static assets, the zh/en catalogue."""
