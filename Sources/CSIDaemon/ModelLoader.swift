/// Loads model files into ``WindowClassifier``s (the engine, through ``ModelClassifier``). A bad file throws a
/// ``ClassifierError`` naming the file and field, so startup stops and a reload keeps the old model.
public enum ModelLoader {
    /// Loads `path` for batches of up to `maxBatch` windows.
    public static func load(path: String, maxBatch: Int = 64) throws -> any WindowClassifier {
        try ModelClassifier(path: path, maxBatch: maxBatch)
    }
}
