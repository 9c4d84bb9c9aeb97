#!/usr/bin/env python3
"""Reference fixtures for the PicoScenes and FeitCSI readers (Tests/CSICaptureTests/PicoScenesReaderTests.swift,
FeitCSIReaderTests.swift), from decoders independent of the Swift code.

PicoScenes (../shared/data/captures/picoscenes/*.csi): csiread 1.4.1 `Picoscenes(...).read()`.
  csiread drops 4 "pilot" tones per 20 MHz chain from AX200/AX210 CSI, but it compares the pilot positions with
  its *output* counter and never resets its pilot pointer between chains, so it drops other tones than the pilots
  (for HT20 chain 0: raw tones 7, 22, 36, 51 instead of 7, 21, 34, 48; for chain 1 positions from the next table).
  csihar keeps every tone. To compare value by value, this script replays csiread's index walk to learn which raw
  tone each csiread value came from (checked against a plain NumPy decode of the same bytes, which must agree
  exactly), and stores csiread's values at those positions of csihar's layout; the tones csiread did not return
  are listed per layout ("uncovered") and left out of the checksums on both sides.
  IWL5300 frames: csiread's values as they are (no antenna permutation, like csihar).

FeitCSI (../shared/data/captures/feitcsi/*.csi): a small NumPy decoder written here from the published format
  (csi-formats.md section 6b, FeitCSI's csi_format page, CSIKit read_feitcsi.py): 272-byte header, i16 pairs
  ordered rx, tx, tone; tone indices from the 802.11 tables.

Stored per file (JSON, csihar's layout: CSI flattened (tx, rx, subcarrier), subcarriers ascending): count,
per-frame metadata, per-frame checksums over every compared value (power, weighted, magnitude as in
make_capture_fixtures.py) and the full values of a few frames.

Run (needs ../shared/data): .venv/bin/python scripts/make-csi-fixtures.py
"""
import glob
import json
import os
import struct

import numpy as np
import csiread

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")
OUT = os.path.join(ROOT, "Tests", "CSICaptureTests", "Fixtures", "reference")
MAX_SAMPLE_VALUES = 12000  # complex values stored in full per file (keeps the JSON small)

# csiread's pilot table, in the memory order of its C struct (its pointer runs on into the next arrays).
PILOT_TABLE = {
    "NonHT20_52": [5, 19, 32, 46], "HTVHT20_56": [7, 21, 34, 48], "HTVHT40_114": [5, 33, 47, 66, 80, 108],
    "VHT80_242": [19, 47, 83, 111, 130, 158, 194, 222],
    "VHT160_484": [19, 47, 83, 111, 130, 158, 194, 222, 261, 289, 325, 353, 372, 400, 436, 464],
    "HE20_242": [6, 32, 74, 100, 141, 167, 209, 235],
    "HE40_484": [6, 32, 74, 100, 140, 166, 208, 234, 249, 275, 317, 343, 383, 409, 451, 477],
    "HE80_996": [32, 100, 166, 234, 274, 342, 408, 476, 519, 587, 653, 721, 761, 829, 895, 963],
    "HE160_1992": [32, 100, 166, 234, 274, 342, 408, 476, 519, 587, 653, 721, 761, 829, 895, 963, 1028, 1096,
                   1162, 1230, 1270, 1338, 1404, 1472, 1515, 1583, 1649, 1717, 1757, 1825, 1891, 1959],
}
PILOT_ORDER = list(PILOT_TABLE)
PILOT_FLAT = sum((PILOT_TABLE[k] for k in PILOT_ORDER), [])


def pilot_start(fmt, cbw):
    name = {(3, 20): "HE20_242", (3, 40): "HE40_484", (3, 80): "HE80_996", (3, 160): "HE160_1992",
            (2, 20): "HTVHT20_56", (2, 40): "HTVHT40_114", (2, 80): "VHT80_242", (2, 160): "VHT160_484",
            (1, 20): "HTVHT20_56", (1, 40): "HTVHT40_114", (0, 20): "NonHT20_52"}[(fmt, cbw)]
    return sum(len(PILOT_TABLE[k]) for k in PILOT_ORDER[:PILOT_ORDER.index(name)])


def tone_indices(bandwidth, tones):
    """The 802.11 tone indices (pilots included) for a tone count, as in the standard / PicoScenes tables."""
    def band(outer, inner):
        return list(range(-outer, -inner + 1)) + list(range(inner, outer + 1))
    table = {(20, 52): band(26, 1), (20, 56): band(28, 1), (20, 242): band(122, 2), (40, 114): band(58, 2),
             (40, 484): band(244, 3), (80, 242): band(122, 2), (80, 996): band(500, 3),
             (160, 484): list(range(-250, -129)) + list(range(-126, -5)) + list(range(6, 127)) + list(range(130, 251)),
             (160, 1992): list(range(-1012, -514)) + list(range(-509, -11)) + list(range(12, 510)) + list(range(515, 1013))}
    return table[(bandwidth, tones)]


def checksums(flat, keep):
    flat = np.where(keep, np.asarray(flat, dtype=np.complex128), 0)
    i = np.arange(flat.size)
    w = (i % 7 + 1).astype(np.float64)
    v = (i % 5 + 1).astype(np.float64)
    return (float(np.sum(np.abs(flat) ** 2)), float(np.sum(w * flat.real - v * flat.imag)),
            float(np.sum(np.abs(flat.real) + np.abs(flat.imag))))


def frames_block(flats, keeps):
    sums = [checksums(f, k) for f, k in zip(flats, keeps)]
    n = len(flats)
    picks = sorted({p for p in (0, 1, 2, n // 3, (2 * n) // 3, n - 1) if 0 <= p < n})
    samples, budget = [], MAX_SAMPLE_VALUES
    for p in picks:
        if flats[p].size > budget:
            continue
        budget -= flats[p].size
        f = np.where(keeps[p], flats[p], 0)
        samples.append({"index": p, "re": [float(x) for x in f.real], "im": [float(x) for x in f.imag]})
    return {"power": [s[0] for s in sums], "weighted": [s[1] for s in sums], "magnitude": [s[2] for s in sums],
            "samples": samples}


def write(name, payload):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"))
    print("%-60s %8d bytes  count=%s" % (path[len(ROOT) + 1:], os.path.getsize(path), payload.get("count")))


def raw_mvm_buffers(path):
    """Every frame's AX2xx CSI buffer as int16 pairs, parsed here with NumPy (no csiread), or None."""
    data = open(path, "rb").read()
    out, pos = [], 0
    while pos + 11 <= len(data):
        length, _, _, nseg = struct.unpack_from("<IIHB", data, pos)
        q, found = pos + 11, None
        for _ in range(nseg):
            slen, nlen = struct.unpack_from("<IB", data, q)
            name = data[q + 5:q + 5 + nlen].rstrip(b"\0")
            version = struct.unpack_from("<H", data, q + 5 + nlen)[0]
            body = q + 7 + nlen
            if name == b"CSI" and version == 4 and struct.unpack_from("<H", data, body)[0] in (0x2000, 0x2100):
                blen = struct.unpack_from("<I", data, body + 36)[0]
                found = np.frombuffer(data, dtype="<i2", count=blen // 2, offset=body + 40).astype(np.float64)
                found = found[0::2] + 1j * found[1::2]
            q += 4 + slen
        out.append(found)
        pos += 4 + length
    return out


def picoscenes(name):
    path = os.path.join(DATA, "captures", "picoscenes", name)
    pl = {"CSI": [1992, 3, 3], "MVMExtra": [1, 1, 1], "PilotCSI": [1, 1, 1], "LegacyCSI": [1, 1, 1],
          "BasebandSignals": [1, 1, 1], "PreEQSymbols": [1, 1, 1]}
    d = csiread.Picoscenes(path, pl, if_report=False)
    d.read()
    raw, n = d.raw, d.count
    info, basic = raw["CSI"]["Info"], raw["RxSBasic"]
    raws = raw_mvm_buffers(path)
    flats, keeps, meta, uncovered = [], [], {k: [] for k in ("nrx", "ntx", "nsub", "cbw", "device", "timestamp_us",
                                                               "sequence", "mpdu_length", "noise", "rssi", "subcarriers_first",
                                                               "subcarriers_last")}, {}
    for i in range(n):
        dev, tones = int(info["DeviceType"][i]), int(info["NumTones"][i])
        nrx, cbw, fmt = int(info["NumRx"][i]), int(info["CBW"][i]), int(info["PacketFormat"][i])
        ntx = int(info["NumTx"][i]) + int(info["NumESS"][i])
        csi = raw["CSI"]["CSI"][i]
        if dev in (0x2000, 0x2100):
            flat = np.zeros(ntx * nrx * tones, dtype=np.complex128)
            keep = np.zeros(flat.size, dtype=bool)
            p_idx, base = 0, pilot_start(fmt, cbw)
            for k in range(int(info["NumTx"][i])):           # csiread's loop order: tx, rx, tone
                for j in range(nrx):
                    g = 0
                    for t in range(tones):
                        n_buf = (k * nrx + j) * tones + t       # buffer position csiread reads
                        if g == PILOT_FLAT[base + p_idx]:
                            p_idx += 1
                            continue
                        r_true, t_true, s = n_buf // (ntx * tones), (n_buf // tones) % ntx, n_buf % tones
                        out = (t_true * nrx + r_true) * tones + s
                        flat[out], keep[out] = csi[g, j, k], True
                        g += 1
            # The replayed walk must put csiread's values where a plain decode of the bytes has them.
            mine = raws[i].reshape(nrx, ntx, tones).transpose(1, 0, 2).ravel()
            assert np.array_equal(flat[keep], mine[keep]), "replay of csiread's index walk disagrees, frame %d" % i
            key = "%dx%dx%d" % (tones, nrx, ntx)
            uncovered.setdefault(key, [int(x) for x in np.nonzero(~keep)[0]])
            assert uncovered[key] == [int(x) for x in np.nonzero(~keep)[0]]
            sub = tone_indices(cbw, tones)
            ts = int(raw["MVMExtra"]["MuClock"][i])
        else:
            flat = csi[:30, :nrx, :ntx].transpose(2, 1, 0).ravel()   # (tone, rx, tx) -> (tx, rx, tone)
            keep = np.ones(flat.size, dtype=bool)
            sub = [int(x) for x in raw["CSI"]["SubcarrierIndex"][i, :30]]
            ts = int(basic["Timestamp"][i])
        flats.append(flat)
        keeps.append(keep)
        for key, value in (("nrx", nrx), ("ntx", ntx), ("nsub", len(sub)), ("cbw", cbw), ("device", dev),
                           ("timestamp_us", ts), ("sequence", int(raw["StandardHeader"]["Sequence"][i])),
                           ("mpdu_length", int(raw["MPDU"]["Info"]["Length"][i])),
                           ("noise", int(basic["NoiseFloor"][i])), ("subcarriers_first", sub[0]),
                           ("subcarriers_last", sub[-1])):
            meta[key].append(value)
        meta["rssi"].append([int(basic["RSSI%d" % (c + 1)][i]) for c in range(min(nrx, 3))])
    source = raw["StandardHeader"]["Addr2"][0] if n else []
    write("picoscenes_" + os.path.splitext(name)[0],
          {"file": "captures/picoscenes/" + name, "format": "picoscenes", "reference": "csiread 1.4.1 Picoscenes",
           "count": n, **meta, "source0": [int(x) for x in source], "uncovered": uncovered,
           "frames": frames_block(flats, keeps)})


def feitcsi(name):
    """FeitCSI decoded here: 272-byte header, then csi_length bytes of int16 (re, im), rx-major, tx, tone."""
    path = os.path.join(DATA, "captures", "feitcsi", name)
    data = open(path, "rb").read()
    pos, flats, keeps = 0, [], []
    meta = {k: [] for k in ("nrx", "ntx", "nsub", "bandwidth", "mu_clock", "rssi", "rate_flags",
                            "subcarriers_first", "subcarriers_last")}
    source = []
    while pos + 272 <= len(data):
        csi_length, = struct.unpack_from("<I", data, pos)
        nrx, ntx = data[pos + 46], data[pos + 47]
        tones, = struct.unpack_from("<I", data, pos + 52)
        rssi1, rssi2 = struct.unpack_from("<II", data, pos + 60)
        mu, rate = struct.unpack_from("<II", data, pos + 88)
        bandwidth = 20 << ((rate >> 11) & 7)
        assert csi_length == 4 * nrx * ntx * tones
        values = np.frombuffer(data, dtype="<i2", count=csi_length // 2, offset=pos + 272).astype(np.float64)
        cplx = (values[0::2] + 1j * values[1::2]).reshape(nrx, ntx, tones)
        flats.append(cplx.transpose(1, 0, 2).ravel())
        keeps.append(np.ones(nrx * ntx * tones, dtype=bool))
        sub = tone_indices(bandwidth, tones)
        if not source:
            source = list(data[pos + 68:pos + 74])
        for key, value in (("nrx", nrx), ("ntx", ntx), ("nsub", len(sub)), ("bandwidth", bandwidth),
                           ("mu_clock", mu), ("rate_flags", rate), ("subcarriers_first", sub[0]),
                           ("subcarriers_last", sub[-1])):
            meta[key].append(value)
        meta["rssi"].append([-rssi1, -rssi2][:nrx])
        pos += 272 + csi_length
    assert pos == len(data), "records must tile the file"
    write("feitcsi_" + os.path.splitext(name)[0],
          {"file": "captures/feitcsi/" + name, "format": "feitcsi", "reference": "NumPy decoder in make-csi-fixtures.py",
           "count": len(flats), **meta, "source0": source, "frames": frames_block(flats, keeps)})


if __name__ == "__main__":
    for p in sorted(glob.glob(os.path.join(DATA, "captures", "picoscenes", "*.csi"))):
        picoscenes(os.path.basename(p))
    for p in sorted(glob.glob(os.path.join(DATA, "captures", "feitcsi", "*.csi"))):
        feitcsi(os.path.basename(p))
