import Foundation
import MammoData
import MammoDownstream
import MammoImaging
import Torch

/// The analysis as a DICOM Enhanced SR (1.2.840.10008.5.1.4.1.1.88.22): the same patient and study
/// as the images (so a PACS files it beside them), every analysed image in the evidence list and an
/// image library, and per breast each task's probability as a numeric item and its decision as a
/// coded one. Enhanced, not Basic Text: the Basic Text SR IOD allows no numeric (NUM) items.
/// Concepts without a standard code use the private scheme 99MAMMOFM (docs/serving.md lists them).
public enum AnalysisReport {
    public static let privateScheme = "99MAMMOFM"
    static let title = SRCode("18748-4", "LN", "Diagnostic imaging report")
    static let imageLibrary = SRCode("111028", "DCM", "Image Library")
    static let findings = SRCode("121070", "DCM", "Findings")
    static let comment = SRCode("121106", "DCM", "Comment")
    static let breast = SRCode("76752008", "SCT", "Breast")
    static let laterality = SRCode("272741003", "SCT", "Laterality")
    static let right = SRCode("24028007", "SCT", "Right")
    static let left = SRCode("7771000", "SCT", "Left")
    static let noUnits = SRCode("1", "UCUM", "no units")
    static let imageRegion = SRCode("111030", "DCM", "Image Region")

    /// A private code: its meaning, and a value derived from the meaning ("MFM" and 8 hex digits of
    /// its hash) that fits the 16 characters of a Code Value and is the same in every report.
    static func privateCode(_ meaning: String) -> SRCode {
        SRCode("MFM" + WeightsHash.of(text: meaning).prefix(8).uppercased(), privateScheme, meaning)
    }

    /// A task's probability or decision ("mass probability", "mass decision").
    static func concept(_ task: String, _ what: String) -> SRCode { privateCode("\(task) \(what)") }

    /// A class of a task ("mass", "no mass", "breast composition A").
    static func classCode(_ task: String, _ name: String) -> SRCode { privateCode(task == "density" ? "breast composition \(name)" : name) }

    public static func structuredReport(_ document: AnalysisDocument, header: DicomStudyAttributes, metadata: DicomMetadata) -> StructuredReport {
        var report = StructuredReport(kind: .enhanced, title: title)
        report.studyUID = metadata.studyInstanceUID
        report.attributes = [
            (.patientName, header.patientName ?? ""), (.patientID, metadata.patientID ?? ""), (.patientBirthDate, header.patientBirthDate ?? ""),
            (.patientSex, header.patientSex ?? ""), (.studyDate, header.studyDate ?? ""), (.studyTime, header.studyTime ?? ""),
            (.studyID, header.studyID ?? ""), (.accessionNumber, header.accessionNumber ?? ""),
            (.referringPhysician, header.referringPhysicianName ?? ""), (.studyDescription, header.studyDescription ?? ""),
            (.seriesDescription, "MammoFM exam analysis"), (.seriesNumber, "9901"), (.instanceNumber, "1"),
            (.manufacturer, "MammoFM"), (.softwareVersions, MammoFMRelease.version),
        ]
        let analysed = document.images.filter { $0.sopInstanceUID != nil && $0.sopClassUID != nil && $0.seriesInstanceUID != nil }
        if let study = metadata.studyInstanceUID {
            report.evidence = analysed.map {
                .init(studyUID: study, seriesUID: $0.seriesInstanceUID!, sopClassUID: $0.sopClassUID!, sopInstanceUID: $0.sopInstanceUID!)
            }
        }
        var content: [SRContentItem] = [
            SRContentItem(.contains, comment, .text("Produced by MammoFM \(MammoFMRelease.version) with bundle \(document.bundle.manifestHash) (\(document.bundle.imageTower), \(document.bundle.inputWidth) x \(document.bundle.inputHeight)); research software, not a diagnosis.")),
            SRContentItem(.contains, imageLibrary, .container, children: analysed.map {
                SRContentItem(.contains, nil, .image(sopClassUID: $0.sopClassUID!, sopInstanceUID: $0.sopInstanceUID!))
            }),
        ]
        var findingItems: [SRContentItem] = []
        for breastResult in document.breasts {
            var children = [SRContentItem(.hasConceptModifier, laterality, .code(breastResult.laterality == "L" ? left : right))]
            for result in breastResult.results {
                let probability = result.probabilities ?? result.scores
                let source = result.source == .head ? "" : " zero-shot"
                if result.classes.count == 2 {
                    children.append(SRContentItem(.contains, concept(result.task, "probability" + source), .number(probability[1], unit: noUnits)))
                } else {
                    for (name, p) in zip(result.classes, probability) {
                        children.append(SRContentItem(.contains, concept(result.task, "\(name) probability" + source), .number(p, unit: noUnits)))
                    }
                }
                if let decision = result.decision {
                    children.append(SRContentItem(.contains, concept(result.task, "decision"), .code(classCode(result.task, decision))))
                }
            }
            // Each detection on this breast's images: the finding, its score and its outline on the image.
            for image in document.images where image.laterality == breastResult.laterality {
                guard let sopClass = image.sopClassUID, let sopInstance = image.sopInstanceUID else { continue }
                for detection in image.detections ?? [] {
                    let b = detection.box
                    let outline = [(b.xmin, b.ymin), (b.xmax, b.ymin), (b.xmax, b.ymax), (b.xmin, b.ymax), (b.xmin, b.ymin)].map { (x: $0.0, y: $0.1) }
                    children.append(SRContentItem(.contains, privateCode("detected lesion"), .code(classCode("detection", detection.finding)), children: [
                        SRContentItem(.hasProperties, privateCode("detection score"), .number(detection.score, unit: noUnits)),
                        SRContentItem(.inferredFrom, imageRegion, .polyline(outline), children: [
                            SRContentItem(.selectedFrom, nil, .image(sopClassUID: sopClass, sopInstanceUID: sopInstance)),
                        ]),
                    ]))
                }
            }
            findingItems.append(SRContentItem(.contains, breast, .container, children: children))
        }
        for result in document.examResults {
            if let decision = result.decision {
                findingItems.append(SRContentItem(.contains, concept(result.task, "exam decision"), .code(classCode(result.task, decision))))
            }
        }
        content.append(SRContentItem(.contains, findings, .container, children: findingItems))
        report.content = content
        return report
    }
}
