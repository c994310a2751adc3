import Foundation
import MammoImaging
import MammoSynth

/// A small synthetic cohort, generated and preprocessed as the test suites that train on images use
/// it: `root/cohort` (128 x 80 DICOM, three times the benign prevalence) and `root/prepared/images`
/// (the reference's profile at 64 x 40, PNGs named by image id).
public enum PreparedCohort {
    public static func make(at root: URL, patients: Int, seed: UInt64) throws {
        var config = SynthConfig(patients: patients, seed: seed)
        config.rows = 128
        config.columns = 80
        config.prevalence = 3
        _ = try CohortGenerator(config: config, directory: root.appendingPathComponent("cohort")).run(jobs: 2)
        var preprocessor = Preprocessor(outputDirectory: root.appendingPathComponent("prepared"), profile: .mammoclip, width: 40, height: 64)
        preprocessor.keepFileNames = true
        _ = try preprocessor.run(try Preprocessor.inputs(root.appendingPathComponent("cohort/dicom")), jobs: 2) { _, _ in }
    }
}
