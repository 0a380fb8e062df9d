"""The parts of mlflow.types.schema register.py uses, with MLflow's own to_dict JSON."""

import os

DataType = ("boolean", "integer", "long", "float", "double", "string", "binary", "datetime")


def _type_dict(t):
    return {"type": t} if isinstance(t, str) else t.to_dict()


def _check(t):
    if isinstance(t, str):
        if t not in DataType:
            raise ValueError(f"Unsupported type '{t}'")
    elif not hasattr(t, "to_dict"):
        raise TypeError(f"Expected a DataType name, Array or Object, got {type(t).__name__}")
    return t


class ColSpec:
    def __init__(self, type, name=None, required=True):  # noqa: A002 (MLflow's own argument name)
        self.type, self.name, self.required = _check(type), name, required

    def to_dict(self):
        d = _type_dict(self.type)
        if self.name is not None:
            d["name"] = self.name
        d["required"] = self.required
        return d


class Schema:
    def __init__(self, inputs):
        if not inputs:
            raise ValueError("Schema needs at least one column")
        self.inputs = inputs

    def to_dict(self):
        return [c.to_dict() for c in self.inputs]


class ParamSpec:
    _CASTS = {"double": (float,), "float": (float,), "long": (int,), "integer": (int,), "string": (str,),
              "boolean": (bool,)}

    def __init__(self, name, dtype, default, shape=None):
        if isinstance(default, bool) and dtype != "boolean" or not isinstance(default, self._CASTS[dtype]):
            raise ValueError(f"param {name}: default {default!r} is not of type {dtype}")
        self.name, self.dtype, self.default, self.shape = name, dtype, default, shape

    def to_dict(self):
        return {"name": self.name, "type": self.dtype, "default": self.default, "shape": self.shape}


class ParamSchema:
    def __init__(self, params):
        self.params = params

    def to_dict(self):
        return [p.to_dict() for p in self.params]


if not os.environ.get("LV_MLFLOW_STUB_OLD_TYPES"):
    class Property:
        def __init__(self, name, dtype, required=True):
            self.name, self.dtype, self.required = name, _check(dtype), required

        def to_dict(self):
            return {self.name: {**_type_dict(self.dtype), "required": self.required}}

    class Object:
        def __init__(self, properties):
            if not properties:
                raise ValueError("Creating Object with empty properties is not allowed.")
            self.properties = sorted(properties, key=lambda p: p.name)

        def to_dict(self):
            return {"type": "object", "properties": {k: v for p in self.properties for k, v in p.to_dict().items()}}

    class Array:
        def __init__(self, dtype):
            self.dtype = _check(dtype)

        def to_dict(self):
            return {"type": "array", "items": _type_dict(self.dtype)}
