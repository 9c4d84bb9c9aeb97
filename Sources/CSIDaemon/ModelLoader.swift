/// Loads model files into ``WindowClassifier``s. The engine adapter installs itself in `load`; a bad file
/// throws a ``ClassifierError`` naming the file and field, so startup stops and a reload keeps the old model.
public enum ModelLoader {
    /// Loads `path`.
    public static func load(path: String) throws -> any WindowClassifier {
        throw ClassifierError("\(path): loading models needs the CSIInference engine, which is not in this build yet")
    }
}
