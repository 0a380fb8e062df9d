class ModelSignature:
    def __init__(self, inputs=None, outputs=None, params=None):
        self.inputs, self.outputs, self.params = inputs, outputs, params

    def to_dict(self):
        return {k: (v.to_dict() if v is not None else None)
                for k, v in (("inputs", self.inputs), ("outputs", self.outputs), ("params", self.params))}
