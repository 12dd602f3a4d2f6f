"""The error every renderer raises."""


class ReportRenderError(RuntimeError):
    """A report could not be rendered (a cell failed, pandoc or quarto failed)."""
