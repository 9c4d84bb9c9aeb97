/// Loads model files into ``WindowClassifier``s (the engine, through ``ModelClassifier``). A bad file throws a
/// ``ClassifierError`` naming the file and field, so startup stops and a reload keeps the old model.
public enum ModelLoader {
    /// Loads `path`.
    public static func load(path: String) throws -> any WindowClassifier {
        try ModelClassifier(path: path)
    }
}
