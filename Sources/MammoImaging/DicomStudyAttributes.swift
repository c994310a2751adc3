import Foundation

/// The attributes that place an image in its patient's record and in the exam, beyond what the
/// pixel pipeline needs (`DicomMetadata`): what an exam is grouped and ordered by, what tells a
/// screening view from an extra one, and what a report about the exam must repeat so that a PACS
/// files it beside the images.
public struct DicomStudyAttributes: Codable, Equatable, Sendable {
    public var sopClassUID: String?
    public var studyDate: String?
    public var studyTime: String?
    public var accessionNumber: String?
    public var studyID: String?
    public var studyDescription: String?
    public var referringPhysicianName: String?
    public var patientName: String?
    public var patientBirthDate: String?
    public var patientSex: String?
    public var instanceNumber: Int?
    /// View modifiers from the View Modifier Code Sequence (spot compression, magnification,
    /// implant displaced, ...), as code meanings.
    public var viewModifiers: [String]
    /// Series Description, Protocol Name and Acquisition Device Processing Description, joined:
    /// where archives without view modifier codes say "SPOT" or "MAG".
    public var descriptions: String

    /// Reads the metadata and these attributes in one pass over the header (pixels not decoded).
    public static func read(_ url: URL) throws -> (metadata: DicomMetadata, study: DicomStudyAttributes) {
        let file = try DicomFile(path: url.path, withPixels: false)
        let metadata = try DicomMetadata(file, layout: nil)
        func text(_ group: UInt16, _ element: UInt16) -> String? {
            file.string(DicomTag(group, element))?.trimmingCharacters(in: .whitespaces)
        }
        let modifierSequence = DicomTag(0x0054, 0x0222)
        let modifiers = (0..<file.items(modifierSequence)).compactMap { file.string(in: modifierSequence, item: $0, DicomTag(0x0008, 0x0104)) }
        let descriptions = [text(0x0008, 0x103E), text(0x0018, 0x1030), text(0x0018, 0x1400)].compactMap { $0 }.joined(separator: " | ")
        let study = DicomStudyAttributes(
            sopClassUID: text(0x0008, 0x0016), studyDate: text(0x0008, 0x0020), studyTime: text(0x0008, 0x0030),
            accessionNumber: text(0x0008, 0x0050), studyID: text(0x0020, 0x0010), studyDescription: text(0x0008, 0x1030),
            referringPhysicianName: text(0x0008, 0x0090), patientName: text(0x0010, 0x0010), patientBirthDate: text(0x0010, 0x0030),
            patientSex: text(0x0010, 0x0040), instanceNumber: try file.integer(DicomTag(0x0020, 0x0013), "InstanceNumber", in: Int(Int32.min)...Int(Int32.max)),
            viewModifiers: modifiers, descriptions: descriptions)
        return (metadata, study)
    }

    /// Study date and time as one sortable key ("YYYYMMDDHHMMSS", blanks sorting first).
    public var studyMoment: String {
        (studyDate ?? "").padding(toLength: 8, withPad: "0", startingAt: 0)
            + String((studyTime ?? "").filter(\.isNumber).prefix(6)).padding(toLength: 6, withPad: "0", startingAt: 0)
    }
}
