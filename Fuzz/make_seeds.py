#!/usr/bin/env python3
"""Builds the seed corpora for the fuzz targets into a (gitignored) directory, one folder per target.

Seeds are small slices of the bundled samples/, the test fixtures, ../shared/data when it exists, and a few
hand-made inputs. Usage: Fuzz/make_seeds.py OUTDIR   (run from anywhere; paths are relative to the repository)
"""
import glob
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data", "captures")


def put(outdir, target, name, data):
    folder = os.path.join(outdir, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def read(path, limit=None):
    with open(path, "rb") as f:
        return f.read() if limit is None else f.read(limit)


def pcap_udp_payloads(data, limit):
    """UDP payloads of the first `limit` IPv4/UDP packets of a classic pcap file (any byte order)."""
    if len(data) < 24:
        return []
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(endian + "I", data[20:24])[0] & 0xFFFF
    skip = {1: 14, 113: 16, 276: 20, 101: 0, 12: 0, 228: 0}.get(link)
    if skip is None:
        return []
    out, at = [], 24
    while at + 16 <= len(data) and len(out) < limit:
        incl = struct.unpack(endian + "I", data[at + 8:at + 12])[0]
        packet = data[at + 16:at + 16 + incl]
        at += 16 + incl
        ip = packet[skip:]
        if link == 1 and packet[12:14] == b"\x81\x00":
            ip = packet[18:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        out.append(ip[ihl + 8:])
    return out


def main():
    outdir = sys.argv[1]
    samples = os.path.join(ROOT, "samples")

    # Intel 5300 .dat: the first records of each capture (records are ~400 bytes).
    intel = sorted(glob.glob(os.path.join(samples, "*.dat"))) + sorted(glob.glob(os.path.join(SHARED, "intel5300", "*.dat")))
    for path in intel:
        base = os.path.basename(path)
        for size in (1200, 4000):
            put(outdir, "fuzz-intel5300", f"{base}-{size}", read(path, size))
    put(outdir, "fuzz-intel5300", "empty", b"")

    # Nexmon pcap: the first packets of each capture (classic pcap; truncated files are inputs too).
    pcaps = sorted(glob.glob(os.path.join(samples, "*.pcap"))) + sorted(glob.glob(os.path.join(SHARED, "nexmon", "*.pcap")))
    for path in pcaps:
        base = os.path.basename(path)
        data = read(path)
        for size in (900, 3000):
            put(outdir, "fuzz-nexmon-pcap", f"{base}-{size}", data[:size])
        # Nexmon payloads: byte 0 = 0 (chip from the payload, autoscale), then one UDP payload.
        for i, payload in enumerate(pcap_udp_payloads(data, 2)):
            put(outdir, "fuzz-nexmon-payload", f"{base}-{i}", b"\x00" + payload)

    # ESP32 CSV: header + a few lines of each capture.
    csvs = [os.path.join(samples, "hallway-esp32.csv")] + sorted(glob.glob(os.path.join(SHARED, "esp32", "*.csv")))
    for path in csvs:
        if not os.path.exists(path):
            continue
        lines = read(path).split(b"\n")
        base = os.path.basename(path)
        put(outdir, "fuzz-esp32-csv", f"{base}-3", b"\n".join(lines[:3]) + b"\n")
        put(outdir, "fuzz-esp32-csv", f"{base}-1", lines[0] + b"\n")

    # Atheros: the first records of the real log when present, and one hand-made record in each byte order.
    ath = os.path.join(SHARED, "atheros", "ath_csi_1.dat")
    if os.path.exists(ath):
        put(outdir, "fuzz-atheros", "ath_csi_1-3000", read(ath, 3000))
    for endian, name in (("<", "le"), (">", "be")):
        tones, nr, nc = 56, 2, 2
        csi = bytes((i * 37) & 0xFF for i in range((tones * nr * nc * 20 + 7) // 8))
        payload = b"\xAA" * 4
        header = struct.pack(endian + "QHHBBBBBBBBBBBH", 123456789, len(csi), 2437, 0, 0x9A, 11, 0,
                             tones, nr, nc, 40, 30, 31, 32, len(payload))
        record = struct.pack(endian + "H", len(header) + len(csi) + len(payload)) + header + csi + payload
        put(outdir, "fuzz-atheros", f"handmade-{name}", record * 2)

    # PicoScenes: the first frames of each capture (AX200 frames are ~1 kB, IWL5300 ~0.4-1.8 kB), cut at frame ends.
    for path in sorted(glob.glob(os.path.join(SHARED, "picoscenes", "*.csi"))):
        data, at, frames = read(path), 0, []
        while at + 4 <= len(data) and len(frames) < 6:
            at += 4 + struct.unpack_from("<I", data, at)[0]
            frames.append(at)
        base = os.path.basename(path)
        put(outdir, "fuzz-picoscenes", f"{base}-2", data[:frames[min(1, len(frames) - 1)]])
        put(outdir, "fuzz-picoscenes", f"{base}-6", data[:frames[-1]])
        put(outdir, "fuzz-picoscenes", f"{base}-cut", data[:frames[0] + 100])

    # FeitCSI: the first records of the simulated AX210 sample and the small captures (272-byte header +
    # 4 * rx * tx * tones bytes each).
    feitcsi = sorted(glob.glob(os.path.join(samples, "*ax210*.csi"))) + sorted(glob.glob(os.path.join(SHARED, "feitcsi", "*.csi")))
    for path in feitcsi:
        data, at, ends = read(path), 0, []
        while at + 272 <= len(data) and len(ends) < 3:
            at += 272 + struct.unpack_from("<I", data, at)[0]
            ends.append(at)
        if ends[0] <= 16384:
            put(outdir, "fuzz-feitcsi", os.path.basename(path) + "-1", data[:ends[0]])
        if ends[-1] <= 16384:
            put(outdir, "fuzz-feitcsi", os.path.basename(path) + "-3", data[:ends[-1]])
        put(outdir, "fuzz-feitcsi", os.path.basename(path) + "-header", data[:300])

    # Model files: the small engine fixtures (whole files; the shipped models are larger than -max_len).
    for path in sorted(glob.glob(os.path.join(ROOT, "Tests", "CSIInferenceTests", "Fixtures", "*.safetensors"))):
        if "golden" in path or os.path.getsize(path) > 24000:
            continue
        put(outdir, "fuzz-model-file", os.path.basename(path), read(path))
    header = b'{"__metadata__":{"csihar":"{}"}}'
    put(outdir, "fuzz-model-file", "header-only", struct.pack("<Q", len(header)) + header)

    # Config: the documented defaults, one section at a time and whole.
    toml = read(os.path.join(ROOT, "systemd", "csihard.toml"))
    put(outdir, "fuzz-config", "csihard.toml", toml)
    for i, section in enumerate(toml.split(b"\n[")[1:]):
        put(outdir, "fuzz-config", f"section-{i}", b"[" + section)
    put(outdir, "fuzz-config", "inline", b'a = [1, 2.5, "x", true]\n"b.c" = \'lit\'\nd = -0x1F # c\n')
    # TOML 1.0 forms TOMLKit reads: inline tables, dotted keys, multi-line strings, dates, arrays of inline tables,
    # nested arrays of tables.
    put(outdir, "fuzz-config", "toml-1.0",
        b'smoother = { fall_label = "fall", idle_label = "empty" }\npipeline.hop_seconds = 0.5\n'
        b'route = [{ model = "a" }, { model = "b", chains = 2 }]\n[daemon]\nlog_level = """\ninfo"""\n'
        b"[model]\npath = '''m'''\nwhen = 1979-05-27T07:32:00Z\n[[group]]\nname = \"g\"\n[[group.x]]\ny = 1\n")
    # Near the inputs toml++ asserted on (BENCHMARKS.md, "Sixth run"): a date-time with a space for the T, a date before
    # a comment, a line separator in a string and a comment, a dotted key inside an inline table.
    put(outdir, "fuzz-config", "toml-dates",
        "a = [1979-05-27 07:32:00, 1979-05-27, 07:32:00.5] # \u2028\nb = 1979-05-27 # 1\n"
        "c = { d.e = \"\u2028\", f = [1_000, 0.5] }\n".encode())

    # Subscriber requests.
    for i, line in enumerate([
        b'{"types": ["activity.started", "fall.detected"], "streams": ["replay:x|00:11:22:33:44:55"]}',
        b'{"request": "status"}', b'{"types": []}', b'{}', b'[1, 2]', b'{"types": "x"}', b'  ',
        b'{"streams": ["a", "b\\u00e9"], "types": ["prediction"]}',
    ]):
        put(outdir, "fuzz-subscriber-request", f"request-{i}", line)


if __name__ == "__main__":
    main()
