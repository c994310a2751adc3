/// The MammoFM release, as recorded in bundles, analyses and structured reports.
public enum MammoFMRelease {
    public static let version = "0.1.0"
}
