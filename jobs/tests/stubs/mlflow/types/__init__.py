from .schema import ColSpec, DataType, ParamSchema, ParamSpec, Schema  # noqa: F401
