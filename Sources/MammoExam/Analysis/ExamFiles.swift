import Foundation
import MammoImaging

/// A file of an exam folder that was not analysed, and why.
public struct SkippedFile: Codable, Equatable, Sendable {
    /// The path relative to the exam folder.
    public var file: String
    public var sopInstanceUID: String?
    public var reason: String
}

/// An earlier exam of the same patient found beside the analysed one.
public struct PriorExam: Codable, Equatable, Sendable {
    public var studyInstanceUID: String?
    public var studyDate: String?
    public var images: Int
}

/// A DICOM file of the exam with its header.
struct ExamFile {
    var url: URL
    var name: String
    var metadata: DicomMetadata
    var study: DicomStudyAttributes
}

/// The files of an exam folder sorted into the newest exam's screening views, its priors and what
/// is skipped (with reasons): non-DICOM files, unreadable headers, other modalities and extra views (spot compression, magnification, implant displaced, views other
/// than CC and MLO).
struct ExamSelection {
    var current: [ExamFile]
    var priors: [PriorExam]
    var skipped: [SkippedFile]

    /// The screening views a four-view model reads.
    static let screeningViews: Set<String> = ["CC", "MLO"]

    static func read(_ folder: URL) throws -> ExamSelection {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImagingError.unreadable(path: folder.path, reason: "not a folder: give the folder holding the exam's DICOM files")
        }
        let base = folder.standardizedFileURL.path
        var files: [ExamFile] = [], skipped: [SkippedFile] = []
        let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        var urls: [URL] = []
        while let url = walker?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, !url.lastPathComponent.hasPrefix(".") else { continue }
            urls.append(url)
        }
        for url in urls.sorted(by: { $0.path < $1.path }) {
            let name = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
            guard Preprocessor.isDicom(url) else {
                skipped.append(SkippedFile(file: name, sopInstanceUID: nil, reason: "not a DICOM file"))
                continue
            }
            let header: (metadata: DicomMetadata, study: DicomStudyAttributes)
            do { header = try DicomStudyAttributes.read(url) } catch {
                skipped.append(SkippedFile(file: name, sopInstanceUID: nil, reason: "unreadable: \(error)"))
                continue
            }
            if let reason = exclusion(header.metadata, header.study) {
                skipped.append(SkippedFile(file: name, sopInstanceUID: header.metadata.sopInstanceUID, reason: reason))
                continue
            }
            files.append(ExamFile(url: url, name: name, metadata: header.metadata, study: header.study))
        }
        let patients = Set(files.compactMap(\.metadata.patientID))
        guard patients.count <= 1 else {
            throw ImagingError.unreadable(path: folder.path, reason: "the folder holds images of \(patients.count) patients; give one patient's exam (or exams)")
        }
        guard !files.isEmpty else {
            throw ImagingError.unreadable(path: folder.path, reason: "no mammogram to analyse: " + (skipped.isEmpty ? "the folder is empty"
                : skipped.prefix(3).map { "\($0.file): \($0.reason)" }.joined(separator: "; ")))
        }
        // One exam per study; the newest is analysed (study date and time, then UID for a stable order).
        let studies = Dictionary(grouping: files) { $0.metadata.studyInstanceUID ?? "" }
        let ordered = studies.keys.sorted { a, b in
            let ma = studies[a]![0].study.studyMoment, mb = studies[b]![0].study.studyMoment
            return ma == mb ? a < b : ma < mb
        }
        let newest = ordered.last!
        let priors = ordered.dropLast().reversed().map { uid in
            PriorExam(studyInstanceUID: uid.isEmpty ? nil : uid, studyDate: studies[uid]![0].study.studyDate, images: studies[uid]!.count)
        }
        return ExamSelection(current: studies[newest]!.sorted { $0.name < $1.name }, priors: priors, skipped: skipped)
    }

    /// Why a readable DICOM file is not a screening view of a mammography exam; nil when it is one
    /// (or may be one: a missing view or laterality is inferred later from the pixels).
    static func exclusion(_ m: DicomMetadata, _ s: DicomStudyAttributes) -> String? {
        if let modality = m.modality?.uppercased(), modality != "MG" { return "modality \(modality), not MG (mammography)" }
        let modifiers = s.viewModifiers.map { $0.lowercased() }
        for (word, reason) in [("spot", "spot compression"), ("magnif", "magnification"), ("implant displaced", "implant displaced")]
        where modifiers.contains(where: { $0.contains(word) }) {
            return "extra view (\(reason)); the screening model reads CC and MLO views"
        }
        let words = Set(s.descriptions.uppercased().split { !$0.isLetter }.map(String.init))
        for (word, reason) in [("SPOT", "spot compression"), ("MAG", "magnification"), ("MAGNIFICATION", "magnification"), ("ID", "implant displaced"),
                               ("EKLUND", "implant displaced")] where words.contains(word) {
            return "extra view (\(reason), from the description '\(s.descriptions)'); the screening model reads CC and MLO views"
        }
        if let view = m.view, !screeningViews.contains(view) { return "view \(view): not a screening view (CC, MLO)" }
        if m.frames > 1 { return "\(m.frames) frames (tomosynthesis?); the model reads 2D views" }
        return nil
    }
}
