import Foundation
import Torch

/// A lookup table from a Modality LUT or VOI LUT Sequence item.
public struct DicomLUT: Codable, Equatable, Sendable {
    /// Entries (0 in the descriptor means 65,536).
    public var entryCount: Int
    /// The first stored value mapped.
    public var firstMapped: Int
    /// Bits per entry.
    public var bitsPerEntry: Int
    public var data: [Int]
    public var explanation: String?
}

/// Which breast: from Image Laterality, then Laterality, then other hints.
public enum Laterality: String, Codable, Sendable { case left = "L", right = "R", unknown = "U" }

/// The metadata MammoFM uses, typed. Values absent from the file are nil or empty.
public struct DicomMetadata: Codable, Equatable, Sendable {
    public var sopInstanceUID: String?
    public var studyInstanceUID: String?
    public var seriesInstanceUID: String?
    public var patientID: String?
    /// Patient Age in years (from "065Y", "780M", ...).
    public var patientAgeYears: Double?
    public var modality: String?
    public var laterality: Laterality
    /// Where the laterality came from: "ImageLaterality", "Laterality", "SeriesDescription", ... or nil.
    public var lateralitySource: String?
    /// CC, MLO, ML, LM, XCCL, ... from View Position, else the View Code Sequence.
    public var view: String?
    public var photometricInterpretation: String
    public var rows: Int
    public var columns: Int
    public var frames: Int
    public var samplesPerPixel: Int
    public var bitsAllocated: Int
    /// From the header tag (0028,0101), not from a compressed codestream.
    public var bitsStored: Int
    public var highBit: Int?
    public var pixelRepresentation: Int
    public var rescaleSlope: Double?
    public var rescaleIntercept: Double?
    public var rescaleType: String?
    public var modalityLUT: DicomLUT?
    public var windowCenters: [Double]
    public var windowWidths: [Double]
    public var windowExplanations: [String]
    public var voiLUTs: [DicomLUT]
    public var voiLUTFunction: String?
    /// FOR PRESENTATION or FOR PROCESSING.
    public var presentationIntentType: String?
    public var presentationLUTShape: String?
    public var manufacturer: String?
    public var manufacturerModelName: String?
    public var imageType: [String]
    public var breastImplantPresent: Bool?
    public var transferSyntaxUID: String?

    /// Whether the smallest stored value shows as white (MONOCHROME1).
    public var isMonochrome1: Bool { photometricInterpretation.uppercased() == "MONOCHROME1" }
}

enum Tags {
    static let sopInstanceUID = DicomTag(0x0008, 0x0018), studyInstanceUID = DicomTag(0x0020, 0x000D)
    static let seriesInstanceUID = DicomTag(0x0020, 0x000E), patientID = DicomTag(0x0010, 0x0020)
    static let patientAge = DicomTag(0x0010, 0x1010), modality = DicomTag(0x0008, 0x0060)
    static let imageLaterality = DicomTag(0x0020, 0x0062), laterality = DicomTag(0x0020, 0x0060)
    static let seriesDescription = DicomTag(0x0008, 0x103E), viewPosition = DicomTag(0x0018, 0x5101)
    static let viewCodeSequence = DicomTag(0x0054, 0x0220), codeMeaning = DicomTag(0x0008, 0x0104), codeValue = DicomTag(0x0008, 0x0100)
    static let photometric = DicomTag(0x0028, 0x0004), rows = DicomTag(0x0028, 0x0010), columns = DicomTag(0x0028, 0x0011)
    static let frames = DicomTag(0x0028, 0x0008), samplesPerPixel = DicomTag(0x0028, 0x0002)
    static let bitsAllocated = DicomTag(0x0028, 0x0100), bitsStored = DicomTag(0x0028, 0x0101), highBit = DicomTag(0x0028, 0x0102)
    static let pixelRepresentation = DicomTag(0x0028, 0x0103)
    static let rescaleIntercept = DicomTag(0x0028, 0x1052), rescaleSlope = DicomTag(0x0028, 0x1053), rescaleType = DicomTag(0x0028, 0x1054)
    static let modalityLUTSequence = DicomTag(0x0028, 0x3000), voiLUTSequence = DicomTag(0x0028, 0x3010)
    static let lutDescriptor = DicomTag(0x0028, 0x3002), lutExplanation = DicomTag(0x0028, 0x3003), lutData = DicomTag(0x0028, 0x3006)
    static let windowCenter = DicomTag(0x0028, 0x1050), windowWidth = DicomTag(0x0028, 0x1051)
    static let windowExplanation = DicomTag(0x0028, 0x1055), voiLUTFunction = DicomTag(0x0028, 0x1056)
    static let presentationIntentType = DicomTag(0x0008, 0x0068), presentationLUTShape = DicomTag(0x2050, 0x0020)
    static let manufacturer = DicomTag(0x0008, 0x0070), modelName = DicomTag(0x0008, 0x1090), imageType = DicomTag(0x0008, 0x0008)
    static let breastImplantPresent = DicomTag(0x0028, 0x1300)
}

extension DicomMetadata {
    /// Reads the metadata of `file`; `layout` supplies what the decoder knows when pixels were opened.
    init(_ file: DicomFile, layout: (rows: Int, columns: Int, frames: Int, bitsAllocated: Int, samples: Int, photometric: String, transferSyntax: String)?) throws {
        sopInstanceUID = file.string(Tags.sopInstanceUID)
        studyInstanceUID = file.string(Tags.studyInstanceUID)
        seriesInstanceUID = file.string(Tags.seriesInstanceUID)
        patientID = file.string(Tags.patientID)
        patientAgeYears = file.string(Tags.patientAge).flatMap(Self.parseAge)
        modality = file.string(Tags.modality)
        (laterality, lateralitySource) = Self.laterality(file)
        view = Self.view(file)
        photometricInterpretation = (file.string(Tags.photometric) ?? layout?.photometric ?? "").trimmingCharacters(in: .whitespaces)
        // Header numbers are checked against what DICOM allows before any arithmetic uses them.
        rows = try file.integer(Tags.rows, "Rows", in: 0...65535) ?? layout?.rows ?? 0
        columns = try file.integer(Tags.columns, "Columns", in: 0...65535) ?? layout?.columns ?? 0
        frames = try file.integer(Tags.frames, "NumberOfFrames", in: 1...Int(Int32.max)) ?? layout?.frames ?? 1
        samplesPerPixel = try file.integer(Tags.samplesPerPixel, "SamplesPerPixel", in: 1...4) ?? layout?.samples ?? 1
        bitsAllocated = try file.integer(Tags.bitsAllocated, "BitsAllocated", in: 1...64) ?? layout?.bitsAllocated ?? 16
        bitsStored = try file.integer(Tags.bitsStored, "BitsStored", in: 1...64) ?? bitsAllocated
        highBit = try file.integer(Tags.highBit, "HighBit", in: 0...63)
        pixelRepresentation = try file.integer(Tags.pixelRepresentation, "PixelRepresentation", in: 0...1) ?? 0
        rescaleSlope = try file.number(Tags.rescaleSlope, "RescaleSlope")
        rescaleIntercept = try file.number(Tags.rescaleIntercept, "RescaleIntercept")
        rescaleType = file.string(Tags.rescaleType)
        modalityLUT = try file.items(Tags.modalityLUTSequence) > 0 ? Self.lut(file, Tags.modalityLUTSequence, item: 0) : nil
        windowCenters = try file.numbers(Tags.windowCenter, "WindowCenter")
        windowWidths = try file.numbers(Tags.windowWidth, "WindowWidth")
        windowExplanations = file.strings(Tags.windowExplanation)
        voiLUTs = try (0..<file.items(Tags.voiLUTSequence)).compactMap { try Self.lut(file, Tags.voiLUTSequence, item: $0) }
        voiLUTFunction = file.string(Tags.voiLUTFunction)?.uppercased()
        presentationIntentType = file.string(Tags.presentationIntentType)
        presentationLUTShape = file.string(Tags.presentationLUTShape)
        manufacturer = file.string(Tags.manufacturer)
        manufacturerModelName = file.string(Tags.modelName)
        imageType = file.strings(Tags.imageType)
        breastImplantPresent = file.string(Tags.breastImplantPresent).map { $0.uppercased() == "YES" }
        transferSyntaxUID = layout?.transferSyntax
    }

    /// "065Y" -> 65, "006M" -> 0.5, "010W" -> 10/52, "020D" -> 20/365.
    /// An age that is not a number from 0 to 150 years is left out (nil), as an absent one is.
    static func parseAge(_ text: String) -> Double? {
        guard let years = parseAgeUnits(text), years.isFinite, (0...150).contains(years) else { return nil }
        return years
    }

    private static func parseAgeUnits(_ text: String) -> Double? {
        guard let unit = text.last, let value = Double(text.dropLast()) else { return Double(text) }
        switch unit {
        case "Y", "y": return value
        case "M", "m": return value / 12
        case "W", "w": return value / 52
        case "D", "d": return value / 365
        default: return nil
        }
    }

    static func laterality(_ file: DicomFile) -> (Laterality, String?) {
        for (tag, name) in [(Tags.imageLaterality, "ImageLaterality"), (Tags.laterality, "Laterality")] {
            if let value = file.string(tag)?.uppercased().first, let l = Laterality(rawValue: String(value)), l != .unknown {
                return (l, name)
            }
        }
        // Hints in descriptive text, e.g. "L CC", "RMLO", "LEFT MLO".
        for (tag, name) in [(Tags.seriesDescription, "SeriesDescription"), (DicomTag(0x0008, 0x1032), "ProcedureCodeDescription")] {
            guard let text = file.string(tag)?.uppercased() else { continue }
            let words = text.split(whereSeparator: { !$0.isLetter })
            if words.contains("LEFT") || words.contains(where: { ["L", "LCC", "LMLO", "LML", "LXCCL"].contains(String($0)) }) { return (.left, name) }
            if words.contains("RIGHT") || words.contains(where: { ["R", "RCC", "RMLO", "RML", "RXCCL"].contains(String($0)) }) { return (.right, name) }
        }
        return (.unknown, nil)
    }

    static func view(_ file: DicomFile) -> String? {
        if let position = file.string(Tags.viewPosition)?.uppercased(), !position.isEmpty { return position }
        guard file.items(Tags.viewCodeSequence) > 0 else { return nil }
        // SNOMED / DICOM codes of the common mammography views.
        let codes = ["R-10242": "CC", "R-10226": "MLO", "R-10224": "ML", "R-10228": "LM", "R-10244": "FB", "R-1024A": "XCCL",
                     "399162004": "CC", "399368009": "MLO", "399260004": "ML", "399352003": "LM"]
        if let code = file.string(in: Tags.viewCodeSequence, item: 0, Tags.codeValue), let view = codes[code] { return view }
        let meaning = file.string(in: Tags.viewCodeSequence, item: 0, Tags.codeMeaning)?.lowercased() ?? ""
        if meaning.contains("medio-lateral oblique") || meaning.contains("mediolateral oblique") { return "MLO" }
        if meaning.contains("cranio-caudal") || meaning.contains("craniocaudal") { return meaning.contains("exaggerated") ? "XCCL" : "CC" }
        if meaning.contains("medio-lateral") || meaning.contains("mediolateral") { return "ML" }
        if meaning.contains("latero-medial") || meaning.contains("lateromedial") { return "LM" }
        return meaning.isEmpty ? nil : meaning.uppercased()
    }

    static func lut(_ file: DicomFile, _ sequence: DicomTag, item: Int) throws -> DicomLUT? {
        let descriptor = (file.string(in: sequence, item: item, Tags.lutDescriptor) ?? "")
            .split(separator: "\\").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard descriptor.count == 3, let raw = file.bytes(in: sequence, item: item, Tags.lutData) else { return nil }
        guard (0...65535).contains(descriptor[0]), (-32768...65535).contains(descriptor[1]), (1...16).contains(descriptor[2]) else {
            throw DicomError.invalidValue(path: file.path, tag: "\(sequence) item \(item) LUT Descriptor",
                                          reason: "\(descriptor) is not (entries 0-65535, first mapped value, 1-16 bits)")
        }
        let entries = descriptor[0] == 0 ? 65536 : descriptor[0]
        // LUT Data is US or OW: 16-bit words in the file's byte order (8-bit tables too, one entry per word).
        var data: [Int] = []
        data.reserveCapacity(raw.bytes.count / 2)
        let little = file.isLittleEndian
        var i = 0
        while i + 1 < raw.bytes.count {
            let a = Int(raw.bytes[i]), b = Int(raw.bytes[i + 1])
            data.append(little ? a | b << 8 : a << 8 | b)
            i += 2
        }
        guard data.count >= entries else {
            throw DicomError.invalidValue(path: file.path, tag: "\(sequence) item \(item) LUT Data",
                                          reason: "\(data.count) entries, the descriptor announces \(entries)")
        }
        return DicomLUT(entryCount: entries, firstMapped: descriptor[1], bitsPerEntry: descriptor[2], data: Array(data.prefix(entries)),
                        explanation: file.string(in: sequence, item: item, Tags.lutExplanation))
    }
}
