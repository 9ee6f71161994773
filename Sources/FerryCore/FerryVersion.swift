/// Ferry's version, in one place: every executable's `--version` prints it.
public enum FerryVersion {
    public static let string = "0.9.0"
}
