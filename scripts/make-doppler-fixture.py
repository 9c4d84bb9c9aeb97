#!/usr/bin/env python3
"""Independent reference for the Doppler transforms (Tests/CSIFeaturesTests/Fixtures/doppler-*.json).

Written from the definition in docs/features.md, vectorised NumPy, not a port of the Swift loops:
  csiread decodes the Intel 5300 capture (raw CSI, transmit stream 0, receive chains in csiread's order);
  R[p, s] = H[p+1, s] conj(H[0, s]) / (|H[0, s]|^2 + 1e-6 mean_s |H[0, s]|^2)        (pairs 1/0, 2/0)
  zero-order hold at RATE x POINTS instants per second, POINTS averaged per step; a gap > MAX_HOLD starts a new grid
  (steps strictly before the segment's last frame; the last segment up to and including it);
  (with unit_ratio each frame's ratio is divided by its magnitude before the hold);
  amplitude-doppler instead: A[a, s] = |H[a, s]| / sqrt(mean_{a,s} |H[a, s]|^2) over the first min(nrx, 3) chains
  (the "1 chain" fixtures keep receive chain 0 only, as a 1-antenna radio would deliver), a real series per entry;
  sanitized-doppler instead (receive chain 0): per frame the delay slope b refined over lags g, 4g, 16g (g the most
  common distance between neighbouring subcarriers: 2 on the Intel 20 MHz set, 4 at 40 MHz; delay_slope below),
  V = H exp(-j b k), then Q = V exp(-j angle(sum V)) / sqrt(mean |V|^2), a complex series per subcarrier;
  amplitude-sanitized-doppler: the amplitude-doppler bands of chain 0 followed by its sanitized-doppler bands;
  within a segment, a spectrum every HOP steps once FFT steps are held: per series remove the mean, periodic Hann,
  FFT (numpy.fft), |X|^2 summed over series, fftshift, folded into BINS bands,
  10 log10(band / (N sum w^2 sum_series |mean|^2) + 10^(FLOOR/10));
  with drift lags (the "-drift" fixtures, lags DRIFT in spectrum frames) each frame goes on with, per lag L,
  10 log10(sum_series |mean_t - mean_(t-L)|^2 / sum_series |mean_t|^2 + 10^(FLOOR/10)), FLOOR while the segment
  holds fewer than L earlier frames;
  with a running median (the "-median" fixtures, MEDIAN instants) each block's real and imaginary parts are first
  replaced by their centred running median over MEDIAN instants, the block's first and last instant repeated past its
  ends (numpy sliding_window_view + median), before the mean is removed.
Two captures: the project's simulated samples/living-room-intel5300.dat (a moving person, 250 packets/s) and a
real CSI Tool capture from ../shared/data (only its spectra are stored, never its CSI).
Run with the project venv: .venv/bin/python scripts/make-doppler-fixture.py
"""
import json, os
import numpy as np
import csiread

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATE, POINTS, FFT, HOP, BINS, FLOOR, MAX_HOLD, TOL = 250.0, 2, 64, 25, 32, -60.0, 0.5, 1e-9
DRIFT = [3, 10, 20]
MEDIAN = 5
SIM = ("samples/living-room-intel5300.dat", os.path.join(ROOT, "samples/living-room-intel5300.dat"))
REAL = ("../shared/data/captures/intel5300/sample_0x1_ap.dat",
        os.path.join(ROOT, "../shared/data/captures/intel5300/sample_0x1_ap.dat"))
# fixture -> (capture, mode): ratio, unit (ratio phase only), amplitude (3 chains), amplitude-1 (chain 0 only)
CAPTURES = {
    "doppler-simulated.json": (SIM, "ratio"),
    "doppler-simulated-unit.json": (SIM, "unit"),
    "doppler-real-intel5300.json": (REAL, "ratio"),
    "doppler-real-intel5300-unit.json": (REAL, "unit"),
    "doppler-simulated-amplitude.json": (SIM, "amplitude"),
    "doppler-real-intel5300-amplitude.json": (REAL, "amplitude"),
    "doppler-real-intel5300-amplitude-1ch.json": (REAL, "amplitude-1"),
    "doppler-simulated-sanitized.json": (SIM, "sanitized"),
    "doppler-real-intel5300-sanitized.json": (REAL, "sanitized"),
    "doppler-real-intel5300-amplitude-sanitized.json": (REAL, "amplitude-sanitized"),
    "doppler-simulated-amplitude-drift.json": (SIM, "amplitude-drift"),
    "doppler-real-intel5300-amplitude-1ch-drift.json": (REAL, "amplitude-1-drift"),
    "doppler-simulated-amplitude-median.json": (SIM, "amplitude-median"),
    "doppler-real-intel5300-amplitude-1ch-median.json": (REAL, "amplitude-1-median"),
}
INTEL20 = np.array([*range(-28, -1, 2), -1, 1, *range(3, 28, 2), 28], dtype=np.float64)
INTEL40 = np.array([*range(-58, -1, 4), *range(2, 59, 4)], dtype=np.float64)


def ratios(csi):
    """(frames, 2 pairs, 30) complex CSI ratios from (frames, 30, nrx) CSI of transmit stream 0."""
    h = np.transpose(csi, (0, 2, 1)).astype(np.complex128)          # (frames, nrx, 30)
    ref = h[:, 0, :]
    eps = 1e-6 * np.mean(np.abs(ref) ** 2, axis=1, keepdims=True) + np.finfo(np.float64).tiny
    return h[:, 1:3, :] * np.conj(ref)[:, None, :] / (np.abs(ref) ** 2 + eps)[:, None, :]


def amplitudes(csi):
    """(frames, chains, 30) gain-normalised amplitudes (real) from (frames, 30, nrx) CSI of transmit stream 0."""
    a = np.abs(np.transpose(csi, (0, 2, 1)).astype(np.complex128))      # (frames, nrx, 30)
    rms = np.sqrt(np.mean(a ** 2, axis=(1, 2), keepdims=True))
    return np.where(rms > 0, a / np.where(rms > 0, rms, 1), 0).astype(np.complex128)


def delay_slope(h, k):
    """Per-frame delay slope (rad per tone) of (frames, n) CSI at tone indices k (n,): lags g, 4g, 16g (g the most
    common distance between neighbours); each adds angle(sum H[k+L] conj H[k] exp(-j b L)) / L over the pairs
    exactly L apart, a lag with fewer than max(2, n // 4) pairs ends it."""
    gaps = np.diff(k).astype(int)
    g = np.bincount(gaps[(gaps > 0) & (gaps <= 8)]).argmax() if np.any((gaps > 0) & (gaps <= 8)) else gaps[gaps > 0].min()
    slope = np.zeros(len(h))
    for m in (1, 4, 16):
        lag = m * g
        pos = {int(t): i for i, t in enumerate(k)}
        pairs = [(i, pos[int(t) + lag]) for i, t in enumerate(k) if int(t) + lag in pos]
        if len(pairs) < max(2, len(k) // 4):
            break
        a, b = np.array(pairs).T
        z = np.sum(h[:, b] * np.conj(h[:, a]), axis=1) * np.exp(-1j * slope * lag)
        slope = slope + np.angle(z) / lag
    return slope


def sanitized(csi, rate):
    """(frames, 1, 30) phase-sanitised CSI of receive chain 0 from (frames, 30) CSI and each frame's rate field."""
    h = csi.astype(np.complex128)                                         # (frames, 30)
    out = np.zeros((len(h), 30), dtype=np.complex128)
    for forty in (False, True):                                           # 20 and 40 MHz frames
        rows = ((rate & 0x800) != 0) == forty
        if not rows.any():
            continue
        k = INTEL40 if forty else INTEL20
        slope = delay_slope(h[rows], k)
        v = h[rows] * np.exp(-1j * slope[:, None] * k)
        total = v.sum(axis=1, keepdims=True)
        rms = np.sqrt(np.mean(np.abs(v) ** 2, axis=1, keepdims=True))
        out[rows] = np.where(rms > 0, v * np.exp(-1j * np.angle(total)) / np.where(rms > 0, rms, 1), 0)
    return out[:, None, :]


def segment_steps(ts, values, last_segment):
    t0 = ts[0]
    if last_segment:
        count = int(np.floor((ts[-1] + TOL - t0) * RATE * POINTS)) + 1      # instants <= last timestamp
    else:
        count = int(np.ceil((ts[-1] - TOL - t0) * RATE * POINTS))            # instants < last timestamp
    count -= count % POINTS
    instants = t0 + np.arange(count) / (RATE * POINTS)
    index = np.searchsorted(ts, instants + TOL, side="right") - 1
    return values[index].reshape(-1, POINTS, *values.shape[1:]).mean(axis=1), t0


def running_median(block, k):
    """(FFT, series) block with each column replaced by its centred running median over k rows, ends repeated."""
    def real(x):
        padded = np.pad(x, ((k // 2, k // 2), (0, 0)), mode="edge")
        return np.median(np.lib.stride_tricks.sliding_window_view(padded, k, axis=0), axis=-1)
    return real(block.real) + 1j * real(block.imag) if np.iscomplexobj(block) else real(block)


def spectra(steps, unit, drift=(), median=1):
    """(frames, BINS + len(drift)) spectrum frames and their step indices for (M, 2, 30) steps."""
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FFT) / FFT)
    energy = FFT * np.sum(window ** 2)
    out, ends, means = [], [], []
    for end in range(FFT - 1, len(steps), HOP):
        block = steps[end - FFT + 1:end + 1].reshape(FFT, -1)                # (FFT, series)
        if median > 1:
            block = running_median(block, median)
        mean = block.mean(axis=0)
        means.append(mean)
        static = np.sum(np.abs(mean) ** 2)
        x = np.fft.fft((block - mean) * window[:, None], axis=0)
        power = np.fft.fftshift(np.sum(np.abs(x) ** 2, axis=1))              # signed order, -N/2 first
        bands = power.reshape(BINS, FFT // BINS).sum(axis=1)
        scale = 1 / (energy * static) if static > 0 else 0.0
        moved = np.array([np.sum(np.abs(mean - means[-1 - lag]) ** 2) if lag < len(means) else 0.0 for lag in drift])
        ratio = moved / static if static > 0 else np.zeros(len(drift))
        out.append(np.concatenate([10 * np.log10(bands * scale + 10 ** (FLOOR / 10)),
                                   10 * np.log10(ratio + 10 ** (FLOOR / 10))]))
        ends.append(end)
    return np.array(out).reshape(-1, BINS + len(drift)), ends


TRANSFORMS = {"amplitude": "amplitude-doppler", "amplitude-1": "amplitude-doppler", "sanitized": "sanitized-doppler",
              "amplitude-sanitized": "amplitude-sanitized-doppler"}
for name, ((label, path), mode) in CAPTURES.items():
    drift = DRIFT if mode.endswith("-drift") else []
    median = MEDIAN if mode.endswith("-median") else 1
    mode = mode.removesuffix("-drift").removesuffix("-median")
    unit = mode == "unit"
    d = csiread.Intel(path, nrxnum=3, ntxnum=3, pl_size=0, if_report=False)
    d.read()
    ts = d.timestamp_low.astype(np.float64) * 1e-6
    if mode == "amplitude-sanitized":                                      # two halves, spectra side by side
        parts = [amplitudes(d.csi[:, :, :1, 0]), sanitized(d.csi[:, :, 0, 0], d.rate.astype(np.int64))]
    elif mode.startswith("amplitude"):
        parts = [amplitudes(d.csi[:, :, :1 if mode == "amplitude-1" else 3, 0])]
    elif mode == "sanitized":
        parts = [sanitized(d.csi[:, :, 0, 0], d.rate.astype(np.int64))]
    else:
        parts = [ratios(d.csi[:, :, :3, 0])]
    if unit:                                                                  # phase only, per frame
        magnitude = np.abs(parts[0])
        parts = [np.where(magnitude > 0, parts[0] / np.where(magnitude > 0, magnitude, 1), 0)]
    keep = np.concatenate([[True], np.diff(ts) > 0])                         # repeated timestamps dropped
    ts, parts = ts[keep], [r[keep] for r in parts]
    cuts = np.nonzero(np.diff(ts) > MAX_HOLD)[0] + 1
    frames, times = [], []
    bounds = [0, *cuts, len(ts)]
    for i in range(len(bounds) - 1):
        a, b = bounds[i], bounds[i + 1]
        halves = []
        for r in parts:
            steps, t0 = segment_steps(ts[a:b], r[a:b], i == len(bounds) - 2)
            spec, ends = spectra(steps, unit, drift, median)
            halves.append(spec)
        frames.append(np.concatenate(halves, axis=1))
        times += [t0 + (e + 1) / RATE for e in ends]                          # window step end times
    frames = np.concatenate(frames).reshape(-1)
    out = os.path.join(ROOT, "Tests/CSIFeaturesTests/Fixtures", name)
    with open(out, "w") as f:
        json.dump({"oracle": f"csiread {csiread.__version__} + numpy {np.__version__} fft", "file": label,
                   "rate": RATE, "points": POINTS, "fft": FFT, "hop": HOP, "bins": BINS, "floor_db": FLOOR,
                   "unit_ratio": unit, "transform": TRANSFORMS.get(mode, "csi-ratio-doppler"),
                   "chains": 1 if mode in ("amplitude-1", "sanitized", "amplitude-sanitized") else 3,
                   "drift_lags": drift, "median_steps": median,
                   "segments": len(bounds) - 1, "frame_count": len(frames) // (BINS * len(parts) + len(drift)),
                   "end_times": [round(t, 6) for t in times],
                   "frames": [round(float(v), 4) for v in frames]}, f, separators=(",", ":"))
    print(f"{label} ({mode}{', drift' if drift else ''}{', median' if median > 1 else ''}): {len(ts)} frames, {len(bounds) - 1} segment(s) -> "
          f"{len(frames) // (BINS * len(parts) + len(drift))} spectra; wrote {out}")
