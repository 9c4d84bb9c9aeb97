"""csihar training pipeline: datasets in the `csihar dataset export` format, splits by recording, training,
class-balanced reporting, export to the engine's `.safetensors`, model cards."""
