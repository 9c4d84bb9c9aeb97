"""Stand-in for `models.py` (owned by the engine engineer) used only while it is not in main: the documented
semantics of docs/model-format.md for `gru` and `ablstm`. Removed once `models.py` lands."""
import json

import torch
from torch import nn


class _Recurrent(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.gru = nn.GRU(config["input"]["features"], config["hidden_size"], config.get("num_layers", 1),
                          batch_first=True)
        self.fc = nn.Linear(config["hidden_size"], config["classes"])

    def forward(self, x):                       # x: (batch, steps, features)
        _, h = self.gru(x)                      # h: (layers, batch, hidden)
        return self.fc(h[-1])                   # (batch, classes)


class _Attention(nn.Module):
    def __init__(self, size, attention):
        super().__init__()
        self.W = nn.Linear(size, attention)
        self.v = nn.Linear(attention, 1, bias=False)

    def forward(self, h):                       # h: (batch, steps, 2*hidden)
        alpha = torch.softmax(self.v(torch.tanh(self.W(h))).squeeze(-1), dim=1)   # (batch, steps)
        return torch.einsum("bt,bth->bh", alpha, h)


class _ABLSTM(nn.Module):
    def __init__(self, config):
        super().__init__()
        hidden = config["hidden_size"]
        self.lstm = nn.LSTM(config["input"]["features"], hidden, config.get("num_layers", 1), batch_first=True,
                            bidirectional=True)
        self.attention = _Attention(2 * hidden, config["attention_size"])
        self.fc = nn.Linear(2 * hidden, config["classes"])

    def forward(self, x):
        h, _ = self.lstm(x)
        return self.fc(self.attention(h))


def build_model(config):
    return {"gru": _Recurrent, "ablstm": _ABLSTM}[config["architecture"]](config)


def export_model(module, config, path):
    from safetensors.torch import save_file
    tensors = {k: v.detach().float().contiguous() for k, v in module.state_dict().items()}
    save_file(tensors, path, metadata={"format": "pt", "csihar": json.dumps(config)})
