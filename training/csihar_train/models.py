"""Reference PyTorch modules of every csihar model family, and the `.safetensors` model files the engine loads.

    build_model(config) -> nn.Module      input (batch, steps, features) float32 -> logits (batch, classes)
    export_model(module, config, path)    safetensors, tensors = state_dict (float32, contiguous),
                                          __metadata__ = {"format": "pt", "csihar": json.dumps(config)}
    load_model(path) -> (module, config)  the module in eval mode with the file's weights

The tensor names (state_dict keys) are the contract with the Swift engine (Sources/CSIInference); see
docs/model-format.md and the table below. Every recurrent module is `batch_first=True`.

| architecture       | modules                                                            | classifier reads      |
|--------------------|--------------------------------------------------------------------|-----------------------|
| `rnn`              | rnn = RNN(F, H, L, nonlinearity, bidirectional=b); fc = Linear(H, C) | h_n[-1]              |
| `gru`              | gru = GRU(F, H, L, bidirectional=b); fc = Linear(H, C)             | h_n[-1]               |
| `lstm`             | lstm = LSTM(F, H, L, bidirectional=b); fc = Linear(H, C)           | h_n[-1]               |
| `bilstm`           | lstm = LSTM(F, H, L, bidirectional=True); fc = Linear(H, C)        | h_n[-1] (backward)    |
| `ablstm`           | lstm = LSTM(F, H, L, bidirectional=True); attention.W = Linear(2H, A); | attention pooling  |
|                    | attention.v = Linear(A, 1, bias=False); fc = Linear(2H, C)         | of the last layer     |
| `cnn-gru`          | encoder = Conv1d stack over steps-as-channels; gru = GRU(Lc, H, L, b); | h_n[-1]           |
|                    | classifier = Sequential(Dropout(0.5), Linear(H, C))                |                       |
| `cnn-gru-parallel` | encoder; cnn_gru = GRU(Lc, H, L, b) over it; gru = GRU(F, H, L, b)  | cat(cnn_gru h_n[-1], |
|                    | over the raw input; classifier = Sequential(Dropout(0.5), Linear(2H, C)) | gru h_n[-1])    |

`h_n[-1]` is the last layer's final state; for a bidirectional module that is the **backward** direction's state
(PyTorch's layout, as in SenseFi). The encoder is Conv1d(S, S, 12, stride 3), ReLU, Conv1d(S, S, 5, 2), ReLU,
Conv1d(S, S, 5, 1) with S = steps as channels and the features as length, giving length
Lc = ((F - 12) // 3 + 1 - 5) // 2 + 1 - 4 (F >= 48).
"""
import json
import math

import torch
from torch import nn

ARCHITECTURES = ("rnn", "gru", "lstm", "bilstm", "ablstm", "cnn-gru", "cnn-gru-parallel")
FORMAT_VERSION = 1

# Bounds the Swift loader enforces (docs/model-format.md); attention_size shares hidden_size's bound.
_LIMITS = {"hidden_size": 4096, "num_layers": 16, "attention_size": 4096, "classes": 1024,
           "steps": 100000, "features": 4096}


class ModelConfigError(ValueError):
    """A config (or model file) that the engine would refuse; the message names the field or tensor."""

    def __init__(self, field, reason, source=None):
        self.field, self.reason, self.source = field, reason, source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{field}: {reason}")


def encoder_output_length(features):
    """Length Lc of the Conv1d encoder's output for `features` input length (kernel 12/5/5, stride 3/2/1)."""
    length = (features - 12) // 3 + 1         # Conv1d(k=12, s=3)
    length = (length - 5) // 2 + 1            # Conv1d(k=5, s=2)
    return length - 5 + 1                     # Conv1d(k=5, s=1)


# ---------------------------------------------------------------------------------------------------------------------
# config validation

def _positive_int(config, key, field=None, limit=None):
    field = field or key
    value = config.get(key)
    if value is None:
        raise ModelConfigError(field, "missing")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ModelConfigError(field, f"must be an integer, got {value!r}")
    if value < 1:
        raise ModelConfigError(field, f"must be positive, got {value}")
    limit = limit or _LIMITS.get(key)
    if limit is not None and value > limit:
        raise ModelConfigError(field, f"{value} exceeds the limit {limit}")
    return value


def validate_config(config):
    """Checks `config` against docs/model-format.md; returns the effective hyper-parameters as a dict
    {architecture, features, steps, hidden, layers, bidirectional, nonlinearity, attention, classes}.
    Raises ModelConfigError naming the offending field."""
    if not isinstance(config, dict):
        raise ModelConfigError("config", f"must be a JSON object, got {type(config).__name__}")
    version = config.get("format_version")
    if version is None:
        raise ModelConfigError("format_version", "missing")
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise ModelConfigError("format_version", f"must be {FORMAT_VERSION}, got {version!r}")
    architecture = config.get("architecture")
    if architecture not in ARCHITECTURES:
        raise ModelConfigError("architecture", f"must be one of {', '.join(ARCHITECTURES)}, got {architecture!r}")

    hidden = _positive_int(config, "hidden_size")
    layers = _positive_int(config, "num_layers") if "num_layers" in config else 1
    classes = _positive_int(config, "classes")
    labels = config.get("labels")
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise ModelConfigError("labels", "must be a list of strings")
    if len(labels) != classes:
        raise ModelConfigError("labels", f"has {len(labels)} entries but classes is {classes}")

    spec = config.get("input")
    if not isinstance(spec, dict):
        raise ModelConfigError("input", "missing or not an object")
    steps = _positive_int(spec, "steps", "input.steps")
    features = _positive_int(spec, "features", "input.features")

    bidirectional = config.get("bidirectional", architecture in ("bilstm", "ablstm"))
    if not isinstance(bidirectional, bool):
        raise ModelConfigError("bidirectional", f"must be true or false, got {bidirectional!r}")
    if architecture in ("bilstm", "ablstm") and not bidirectional:
        raise ModelConfigError("bidirectional", f"{architecture} is always bidirectional; got false")

    nonlinearity = "tanh"
    if architecture == "rnn":
        nonlinearity = config.get("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ModelConfigError("nonlinearity", f"must be tanh or relu, got {nonlinearity!r}")

    attention = None
    if architecture == "ablstm":
        attention = _positive_int(config, "attention_size")

    if architecture in ("cnn-gru", "cnn-gru-parallel") and encoder_output_length(features) < 1:
        raise ModelConfigError("input.features", f"{architecture} needs at least 48 features (the Conv1d encoder's "
                                                 f"output would be empty), got {features}")
    return {"architecture": architecture, "features": features, "steps": steps, "hidden": hidden,
            "layers": layers, "bidirectional": bidirectional, "nonlinearity": nonlinearity,
            "attention": attention, "classes": classes}


# ---------------------------------------------------------------------------------------------------------------------
# modules

class RecurrentClassifier(nn.Module):
    """`rnn`, `gru`, `lstm`, `bilstm`: one recurrent module (attribute `rnn`, `gru` or `lstm`) and `fc` on h_n[-1]."""

    def __init__(self, cell, features, hidden, layers, bidirectional, classes, nonlinearity="tanh"):
        super().__init__()
        self.cell = cell
        if cell == "rnn":
            self.rnn = nn.RNN(features, hidden, layers, nonlinearity=nonlinearity, batch_first=True,
                              bidirectional=bidirectional)
        elif cell == "gru":
            self.gru = nn.GRU(features, hidden, layers, batch_first=True, bidirectional=bidirectional)
        else:
            self.lstm = nn.LSTM(features, hidden, layers, batch_first=True, bidirectional=bidirectional)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):                                   # x: (batch, steps, features)
        _, h = getattr(self, self.cell)(x)                  # h: (layers * directions, batch, hidden)
        if self.cell == "lstm":
            h = h[0]                                        # (h_n, c_n) -> h_n
        return self.fc(h[-1])                               # (batch, classes)


class AttentionPooling(nn.Module):
    """score_t = v . tanh(W h_t + b); alpha = softmax over t; returns sum_t alpha_t h_t."""

    def __init__(self, size, attention):
        super().__init__()
        self.W = nn.Linear(size, attention)
        self.v = nn.Linear(attention, 1, bias=False)

    def forward(self, h):                                   # h: (batch, steps, size)
        score = self.v(torch.tanh(self.W(h))).squeeze(-1)   # (batch, steps)
        alpha = torch.softmax(score, dim=1)                 # (batch, steps)
        return torch.einsum("bt,bth->bh", alpha, h)         # (batch, size)


class ABLSTM(nn.Module):
    """`ablstm`: bidirectional LSTM, attention pooling over the last layer's outputs, `fc`."""

    def __init__(self, features, hidden, layers, attention, classes):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, layers, batch_first=True, bidirectional=True)
        self.attention = AttentionPooling(2 * hidden, attention)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x):                                   # x: (batch, steps, features)
        h, _ = self.lstm(x)                                 # (batch, steps, 2*hidden)
        return self.fc(self.attention(h))                   # (batch, classes)


def conv_encoder(steps):
    """SenseFi's UT_HAR_CNN_GRU encoder: the steps are the channels, the features the length."""
    return nn.Sequential(nn.Conv1d(steps, steps, 12, 3), nn.ReLU(),
                         nn.Conv1d(steps, steps, 5, 2), nn.ReLU(),
                         nn.Conv1d(steps, steps, 5, 1))


class CNNGRU(nn.Module):
    """`cnn-gru`: Conv1d encoder -> GRU over the steps -> h_n[-1] -> Dropout, Linear (logits, no softmax)."""

    def __init__(self, steps, features, hidden, layers, bidirectional, classes):
        super().__init__()
        self.encoder = conv_encoder(steps)
        self.gru = nn.GRU(encoder_output_length(features), hidden, layers, batch_first=True,
                          bidirectional=bidirectional)
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(hidden, classes))

    def forward(self, x):                                   # x: (batch, steps, features)
        _, h = self.gru(self.encoder(x))                    # encoder: (batch, steps, Lc); h: (L*dirs, batch, H)
        return self.classifier(h[-1])                       # (batch, classes)


class CNNGRUParallel(nn.Module):
    """`cnn-gru-parallel`: GRU over the encoder output and GRU over the raw input; concatenated final states."""

    def __init__(self, steps, features, hidden, layers, bidirectional, classes):
        super().__init__()
        self.encoder = conv_encoder(steps)
        self.cnn_gru = nn.GRU(encoder_output_length(features), hidden, layers, batch_first=True,
                              bidirectional=bidirectional)
        self.gru = nn.GRU(features, hidden, layers, batch_first=True, bidirectional=bidirectional)
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(2 * hidden, classes))

    def forward(self, x):                                   # x: (batch, steps, features)
        _, h_cnn = self.cnn_gru(self.encoder(x))            # (L*dirs, batch, hidden)
        _, h_raw = self.gru(x)                              # (L*dirs, batch, hidden)
        return self.classifier(torch.cat([h_cnn[-1], h_raw[-1]], dim=1))   # (batch, classes)


def build_model(config):
    """The reference module for `config` (docs/model-format.md), freshly initialised (PyTorch defaults)."""
    p = validate_config(config)
    arch = p["architecture"]
    if arch in ("rnn", "gru", "lstm", "bilstm"):
        cell = "lstm" if arch == "bilstm" else arch
        return RecurrentClassifier(cell, p["features"], p["hidden"], p["layers"], p["bidirectional"], p["classes"],
                                   p["nonlinearity"])
    if arch == "ablstm":
        return ABLSTM(p["features"], p["hidden"], p["layers"], p["attention"], p["classes"])
    if arch == "cnn-gru":
        return CNNGRU(p["steps"], p["features"], p["hidden"], p["layers"], p["bidirectional"], p["classes"])
    return CNNGRUParallel(p["steps"], p["features"], p["hidden"], p["layers"], p["bidirectional"], p["classes"])


def expected_tensors(config):
    """{state_dict name: shape} of the module `build_model(config)` (what the engine expects in the file)."""
    with torch.device("meta"):
        module = build_model(config)
    return {name: tuple(tensor.shape) for name, tensor in module.state_dict().items()}


# ---------------------------------------------------------------------------------------------------------------------
# files

def _check_tensors(tensors, config, source):
    """Names, dtypes, shapes and values of `tensors` against `config`; raises ModelConfigError naming the tensor."""
    expected = expected_tensors(config)
    for name in sorted(set(expected) - set(tensors)):
        raise ModelConfigError(name, f"missing tensor (expected shape {list(expected[name])})", source)
    for name in sorted(set(tensors) - set(expected)):
        raise ModelConfigError(name, f"unexpected tensor for architecture {config['architecture']!r}", source)
    for name, tensor in sorted(tensors.items()):
        if tensor.dtype != torch.float32:
            raise ModelConfigError(name, f"dtype {tensor.dtype}, expected float32", source)
        if tuple(tensor.shape) != expected[name]:
            raise ModelConfigError(name, f"shape {list(tensor.shape)}, expected {list(expected[name])}", source)
        if not bool(torch.isfinite(tensor).all()):
            raise ModelConfigError(name, "contains NaN or infinite values", source)


def export_model(module, config, path):
    """Writes `module`'s weights and `config` as the engine's `.safetensors` model file.

    The config is validated and the module's state_dict must match build_model(config) exactly (names, shapes),
    so that every exported file loads in the engine."""
    from safetensors.torch import save_file
    try:
        validate_config(config)
        metadata = json.dumps(config)
    except ModelConfigError as error:
        raise ModelConfigError(error.field, error.reason, path) from None
    except (TypeError, ValueError) as error:
        raise ModelConfigError("config", f"not JSON-serialisable: {error}", path) from None
    tensors = {name: tensor.detach().to(device="cpu", dtype=torch.float32).contiguous()
               for name, tensor in module.state_dict().items()}
    _check_tensors(tensors, config, path)
    save_file(tensors, path, metadata={"format": "pt", "csihar": metadata})


def read_config(path):
    """The parsed `__metadata__["csihar"]` config of a model file."""
    from safetensors import safe_open
    with safe_open(path, "pt") as f:
        metadata = f.metadata() or {}
    if "csihar" not in metadata:
        raise ModelConfigError("__metadata__.csihar", "missing (not a csihar model file)", path)
    try:
        config = json.loads(metadata["csihar"])
    except json.JSONDecodeError as error:
        raise ModelConfigError("__metadata__.csihar", f"invalid JSON: {error}", path) from None
    return config


def load_model(path):
    """(module in eval mode, config) from a model file written by export_model (or the trainer)."""
    from safetensors.torch import load_file
    config = read_config(path)
    try:
        validate_config(config)
    except ModelConfigError as error:
        raise ModelConfigError(error.field, error.reason, path) from None
    tensors = load_file(path)
    _check_tensors(tensors, config, path)
    module = build_model(config)
    module.load_state_dict(tensors, strict=True)
    module.eval()
    return module, config


def parameter_count(module):
    """Number of scalar parameters (what `csihar models show` reports for the same file)."""
    return sum(math.prod(p.shape) for p in module.state_dict().values())
