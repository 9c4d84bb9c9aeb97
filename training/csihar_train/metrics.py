"""Class-balanced reporting: confusion matrix, per-class recall, balanced accuracy, per-recording accuracy."""
import numpy as np


def confusion(true, predicted, classes):
    """(classes, classes) counts; row = true class, column = predicted class."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return matrix


def per_class_recall(matrix):
    """Recall of every class (NaN for a class with no true samples)."""
    support = matrix.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diag(matrix) / np.maximum(support, 1), np.nan)


def balanced_accuracy(matrix):
    """Mean recall over the classes that have samples."""
    recall = per_class_recall(matrix)
    return float(np.nanmean(recall)) if np.any(~np.isnan(recall)) else float("nan")


def recording_predictions(probabilities, recording):
    """Window probabilities (N, classes) averaged over each recording: (ids, (R, classes) mean probabilities)."""
    ids, inverse = np.unique(np.asarray(recording), return_inverse=True)
    sums = np.zeros((len(ids), probabilities.shape[1]), dtype=np.float64)
    np.add.at(sums, inverse, probabilities)
    counts = np.bincount(inverse, minlength=len(ids))[:, None]
    return ids, sums / counts


def report(probabilities, true, recording, labels):
    """Window and recording level figures as a JSON-ready dict."""
    classes = len(labels)
    true = np.asarray(true, dtype=np.int64)
    window_predicted = probabilities.argmax(1)
    window_matrix = confusion(true, window_predicted, classes)
    ids, mean_probabilities = recording_predictions(probabilities, recording)
    recording_true = np.array([true[np.asarray(recording) == i][0] for i in ids], dtype=np.int64)
    recording_predicted = mean_probabilities.argmax(1)
    matrix = confusion(recording_true, recording_predicted, classes)
    recall = per_class_recall(matrix)
    return {
        "labels": list(labels),
        "windows": int(len(true)),
        "recordings": int(len(ids)),
        "window_accuracy": float((window_predicted == true).mean()) if len(true) else float("nan"),
        "window_balanced_accuracy": balanced_accuracy(window_matrix),
        "accuracy": float((recording_predicted == recording_true).mean()) if len(ids) else float("nan"),
        "balanced_accuracy": balanced_accuracy(matrix),
        "per_class_recall": {labels[c]: (None if np.isnan(recall[c]) else float(recall[c])) for c in range(classes)},
        "confusion": matrix.tolist(),
        "window_confusion": window_matrix.tolist(),
    }
