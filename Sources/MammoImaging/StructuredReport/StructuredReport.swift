import CDCMSR
import Foundation
import Torch

/// A coded concept: code value, coding scheme designator and code meaning (DICOM PS3.3 8.8).
public struct SRCode: Codable, Equatable, Hashable, Sendable {
    public var value: String
    public var scheme: String
    public var meaning: String

    public init(_ value: String, _ scheme: String, _ meaning: String) {
        self.value = value
        self.scheme = scheme
        self.meaning = meaning
    }
}

/// One content item of a structured report's tree, with the items below it.
public struct SRContentItem: Sendable {
    public enum Relationship: Sendable { case contains, hasObservationContext, hasConceptModifier, hasProperties, inferredFrom, selectedFrom }

    public enum Value: Sendable {
        case container
        case text(String)
        case code(SRCode)
        /// A number (written with up to 16 significant characters, as the DS VR allows) and its UCUM unit.
        case number(Double, unit: SRCode)
        case image(sopClassUID: String, sopInstanceUID: String)
        case uid(String)
        /// A closed polyline on an image, (column, row) pixel points; a SELECTED FROM child names the image.
        case polyline([(x: Double, y: Double)])
    }

    public var relationship: Relationship
    /// The concept name; nil only for items that take none (an image in a container).
    public var concept: SRCode?
    public var value: Value
    public var children: [SRContentItem]

    public init(_ relationship: Relationship, _ concept: SRCode?, _ value: Value, children: [SRContentItem] = []) {
        self.relationship = relationship
        self.concept = concept
        self.value = value
        self.children = children
    }
}

/// A DICOM Structured Report written through DCMTK's dcmsr, which checks every item against the SR
/// IOD's constraints as it is added: a tree the IOD does not allow is an error, never a file.
public struct StructuredReport: Sendable {
    public enum Kind: Sendable {
        /// 1.2.840.10008.5.1.4.1.1.88.11; text, codes and references, no numbers.
        case basicText
        /// 1.2.840.10008.5.1.4.1.1.88.22; adds numeric measurements.
        case enhanced
        /// 1.2.840.10008.5.1.4.1.1.88.33; adds spatial coordinates.
        case comprehensive

        public var sopClassUID: String {
            switch self {
            case .basicText: return "1.2.840.10008.5.1.4.1.1.88.11"
            case .enhanced: return "1.2.840.10008.5.1.4.1.1.88.22"
            case .comprehensive: return "1.2.840.10008.5.1.4.1.1.88.33"
            }
        }
    }

    /// Header attributes of the patient, study and series modules.
    public enum Attribute: Sendable {
        case patientName, patientID, patientBirthDate, patientSex, studyDate, studyTime, studyID, accessionNumber
        case referringPhysician, studyDescription, seriesDescription, seriesNumber, instanceNumber, manufacturer
        case manufacturerModel, softwareVersions, contentDate, contentTime

        var code: cdcmsr_attribute {
            switch self {
            case .patientName: return CDCMSR_PATIENT_NAME
            case .patientID: return CDCMSR_PATIENT_ID
            case .patientBirthDate: return CDCMSR_PATIENT_BIRTH_DATE
            case .patientSex: return CDCMSR_PATIENT_SEX
            case .studyDate: return CDCMSR_STUDY_DATE
            case .studyTime: return CDCMSR_STUDY_TIME
            case .studyID: return CDCMSR_STUDY_ID
            case .accessionNumber: return CDCMSR_ACCESSION_NUMBER
            case .referringPhysician: return CDCMSR_REFERRING_PHYSICIAN
            case .studyDescription: return CDCMSR_STUDY_DESCRIPTION
            case .seriesDescription: return CDCMSR_SERIES_DESCRIPTION
            case .seriesNumber: return CDCMSR_SERIES_NUMBER
            case .instanceNumber: return CDCMSR_INSTANCE_NUMBER
            case .manufacturer: return CDCMSR_MANUFACTURER
            case .manufacturerModel: return CDCMSR_MANUFACTURER_MODEL
            case .softwareVersions: return CDCMSR_SOFTWARE_VERSIONS
            case .contentDate: return CDCMSR_CONTENT_DATE
            case .contentTime: return CDCMSR_CONTENT_TIME
            }
        }
    }

    /// An instance the report was made from (listed in the Current Requested Procedure Evidence Sequence).
    public struct Evidence: Sendable {
        public var studyUID: String, seriesUID: String, sopClassUID: String, sopInstanceUID: String
        public init(studyUID: String, seriesUID: String, sopClassUID: String, sopInstanceUID: String) {
            self.studyUID = studyUID
            self.seriesUID = seriesUID
            self.sopClassUID = sopClassUID
            self.sopInstanceUID = sopInstanceUID
        }
    }

    public var kind: Kind
    public var title: SRCode
    /// Header attributes; empty values are left out.
    public var attributes: [(Attribute, String)] = []
    /// The study the report belongs to (a new series in it); nil opens a new study.
    public var studyUID: String?
    public var evidence: [Evidence] = []
    /// The items below the root container.
    public var content: [SRContentItem] = []

    public init(kind: Kind, title: SRCode) {
        self.kind = kind
        self.title = title
    }

    /// Writes the report to `url` through a temporary file and a rename; returns its SOP Instance UID.
    @discardableResult
    public func write(to url: URL) throws -> String {
        var message = [CChar](repeating: 0, count: 512)
        func fail(_ step: String) -> Error {
            ImagingError.unwritable(path: url.path, reason: "structured report, \(step): \(String(cString: message))")
        }
        func check(_ status: Int32, _ step: String) throws { if status != 0 { throw fail(step) } }
        let kindCode: cdcmsr_kind = kind == .basicText ? CDCMSR_BASIC_TEXT : kind == .enhanced ? CDCMSR_ENHANCED : CDCMSR_COMPREHENSIVE
        guard let document = cdcmsr_new(kindCode, title.value, title.scheme, title.meaning, &message, message.count) else { throw fail("title") }
        defer { cdcmsr_free(document) }
        if let studyUID { try check(cdcmsr_set_study(document, studyUID, &message, message.count), "study") }
        for (attribute, text) in attributes where !text.isEmpty {
            try check(cdcmsr_set_attribute(document, attribute.code, text, &message, message.count), "header")
        }
        for e in evidence {
            try check(cdcmsr_add_evidence(document, e.studyUID, e.seriesUID, e.sopClassUID, e.sopInstanceUID, &message, message.count), "evidence")
        }
        func add(_ items: [SRContentItem]) throws {
            for (index, item) in items.enumerated() {
                let relationship: cdcmsr_relationship
                switch item.relationship {
                case .contains: relationship = CDCMSR_CONTAINS
                case .hasObservationContext: relationship = CDCMSR_HAS_OBS_CONTEXT
                case .hasConceptModifier: relationship = CDCMSR_HAS_CONCEPT_MOD
                case .hasProperties: relationship = CDCMSR_HAS_PROPERTIES
                case .inferredFrom: relationship = CDCMSR_INFERRED_FROM
                case .selectedFrom: relationship = CDCMSR_SELECTED_FROM
                }
                let type: cdcmsr_value_type
                switch item.value {
                case .container: type = CDCMSR_CONTAINER
                case .text: type = CDCMSR_TEXT
                case .code: type = CDCMSR_CODE
                case .number: type = CDCMSR_NUM
                case .image: type = CDCMSR_IMAGE
                case .uid: type = CDCMSR_UIDREF
                case .polyline: type = CDCMSR_SCOORD
                }
                let name = item.concept?.meaning ?? "image"
                try check(cdcmsr_add(document, index == 0 ? 1 : 0, relationship, type, item.concept?.value, item.concept?.scheme, item.concept?.meaning,
                                     &message, message.count), name)
                switch item.value {
                case .container: break
                case .text(let text): try check(cdcmsr_set_text(document, text, &message, message.count), name)
                case .code(let code): try check(cdcmsr_set_code(document, code.value, code.scheme, code.meaning, &message, message.count), name)
                case .number(let value, let unit):
                    try check(cdcmsr_set_num(document, Self.decimalString(value), unit.value, unit.scheme, unit.meaning, &message, message.count), name)
                case .image(let sopClass, let sopInstance):
                    try check(cdcmsr_set_image(document, sopClass, sopInstance, &message, message.count), name)
                case .uid(let uid): try check(cdcmsr_set_text(document, uid, &message, message.count), name)
                case .polyline(let points):
                    let flat = points.flatMap { [Float($0.x), Float($0.y)] }
                    try check(cdcmsr_set_polyline(document, flat, points.count, &message, message.count), name)
                }
                if !item.children.isEmpty {
                    try add(item.children)
                    try check(cdcmsr_up(document, &message, message.count), name)
                }
            }
        }
        try add(content)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var uid = [CChar](repeating: 0, count: 80)
        try writeThroughShim(to: url) { path, shimMessage in cdcmsr_write(document, path, &uid, uid.count, &shimMessage, shimMessage.count) }
        return String(cString: uid)
    }

    /// A decimal string of at most 16 characters (the DS value representation's limit).
    static func decimalString(_ value: Double) -> String {
        for digits in stride(from: 6, through: 1, by: -1) {
            let text = String(format: "%.\(digits)g", value)
            if text.count <= 16 { return text }
        }
        return String(format: "%.1e", value)
    }
}
