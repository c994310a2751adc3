import Foundation
@testable import MammoEvaluation
import Testing
@testable import MammoData

/// EMBED Open Data: the clinical and metadata tables joined into labelled images by exam and side.
@Suite struct EmbedDatasetTests {
    /// A folder holding the two tables (the clinical one in `tables/`, as the published copy has it).
    static func folder(_ name: String, clinical: String, metadata: String) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-embed-\(getpid())-\(name)")
        let tables = root.appendingPathComponent("tables")
        try FileManager.default.createDirectory(at: tables, withIntermediateDirectories: true)
        try clinical.write(to: tables.appendingPathComponent("EMBED_OpenData_clinical.csv"), atomically: true, encoding: .utf8)
        try metadata.write(to: tables.appendingPathComponent("EMBED_OpenData_metadata.csv"), atomically: true, encoding: .utf8)
        return root
    }

    static let clinicalHeader = "empi_anon,acc_anon,study_date_anon,desc,numfind,side,asses,tissueden,massshape,massmargin,calcfind,calcdistri,bside,path_severity"
    static let metadataHeader = "empi_anon,acc_anon,anon_dicom_path,FinalImageType,ImageLateralityFinal,ViewPosition,spot_mag"

    /// Exam 11: left mass (irregular), right negative. Exam 12 (patient 2): generic calcification
    /// called back on the left, its cancer recorded 20 days later on a diagnostic exam (21); a
    /// right-sided benign punctate calcification. Exam 13 (patient 3): bilateral finding row (B) with
    /// amorphous calcifications; density 5 (male). Exam 31 (patient 3, 400 days before a cancer on 32).
    static let clinical = """
        \(clinicalHeader)
        1,11,2015-03-01,MG Screening Bilateral,1,L,A,2.0,X,S,,,,
        1,11,2015-03-01,MG Screening Bilateral,2,R,N,2.0,,,,,,
        2,12,2016-01-10,MG Screen Bilat w/Tomo/CAD Stnd Protocol,1,L,A,3,,,G,C,,
        2,12,2016-01-10,MG Screen Bilat w/Tomo/CAD Stnd Protocol,2,R,B,3,,,P,,,
        2,21,2016-01-30,MG Diagnostic Left w/CAD,1,L,S,3,,,I,C,L,1.0
        3,13,2017-05-05,MG Screening Bilateral,1,B,A,5,,,A,,,
        3,31,2016-04-01,MG Screening Bilateral,1,,N,4,,,,,,
        3,32,2017-05-06,MG Diagnostic Bilateral,1,R,M,4,O,I,,,R,0
        """

    static let metadata = """
        \(metadataHeader)
        1,11,/data/cohort_1/1/11/1.2.3.1.dcm,2D,L,CC,0
        1,11,/data/cohort_1/1/11/1.2.3.2.dcm,2D,L,MLO,0.0
        1,11,/data/cohort_1/1/11/1.2.3.3.dcm,2D,R,CC,0
        1,11,/data/cohort_1/1/11/1.2.3.4.dcm,cview,R,MLO,0
        2,12,/data/cohort_1/2/12/2.1.dcm,2D,L,CC,0
        2,12,/data/cohort_1/2/12/2.2.dcm,2D,R,CC,0
        2,21,/data/cohort_1/2/21/2.3.dcm,2D,L,CC,1
        3,13,/data/cohort_1/3/13/3.1.dcm,2D,L,CC,0
        3,13,/data/cohort_1/3/13/3.2.dcm,2D,R,MLO,0
        3,13,/data/cohort_1/3/13/3.2.dcm,2D,R,MLO,0
        3,31,/data/cohort_1/3/31/3.5.dcm,2D,R,CC,0
        3,31,/data/cohort_1/3/31/3.6.dcm,2D,R,XCCL,0
        9,99,/data/cohort_1/9/99/9.1.dcm,2D,L,CC,0
        """

    @Test func findingsLabelTheImagesOfTheirSide() throws {
        let root = try Self.folder("labels", clinical: Self.clinical, metadata: Self.metadata)
        let d = try LabelledDataset.read(format: .embed, url: root)
        let byID = Dictionary(uniqueKeysWithValues: d.images.map { ($0.imageID, $0) })
        #expect(d.images.map(\.imageID) == ["1.2.3.1", "1.2.3.2", "1.2.3.3", "2.1", "2.2", "3.1", "3.2", "3.5"])
        #expect(d.tasks == [.mass, .calcification, .density, .malignancy])
        // A left mass labels both left views and not the right breast.
        #expect(byID["1.2.3.1"]!.labels == ["mass": 1, "calcification": 0, "malignancy": 0, "density": 1])
        #expect(byID["1.2.3.2"]!.labels["mass"] == 1 && byID["1.2.3.3"]!.labels["mass"] == 0)
        #expect(byID["1.2.3.1"]!.patientID == "1" && byID["1.2.3.1"]!.examID == "11" && byID["1.2.3.2"]!.view == "MLO")
        // Generic calcifications called back count; benign punctate ones do not. The cancer found on the
        // diagnostic exam 20 days later labels the screening exam's left breast only.
        #expect(byID["2.1"]!.labels == ["mass": 0, "calcification": 1, "malignancy": 1, "density": 2])
        #expect(byID["2.2"]!.labels == ["mass": 0, "calcification": 0, "malignancy": 0, "density": 2])
        // A bilateral row labels both breasts; density 5 (male) gives no density label; a cancer one
        // day later on the right counts, one 400 days later does not.
        #expect(byID["3.1"]!.labels == ["mass": 0, "calcification": 1, "malignancy": 0])
        #expect(byID["3.2"]!.labels == ["mass": 0, "calcification": 1, "malignancy": 1])
        #expect(byID["3.5"]!.labels == ["mass": 0, "calcification": 0, "malignancy": 0, "density": 3])
        // One split per patient.
        for patient in Set(d.images.map(\.patientID)) { #expect(Set(d.images.filter { $0.patientID == patient }.map(\.split)).count == 1) }
    }

    @Test func inspectionCountsTheJoinAndWhatItLeftOut() throws {
        let root = try Self.folder("inspect", clinical: Self.clinical, metadata: Self.metadata)
        let s = try DatasetFormat.embed.inspect(root)
        #expect(s.sizes["images"] == 8 && s.sizes["patients"] == 3 && s.sizes["exams"] == 4 && s.sizes["breasts"] == 7)
        #expect(s.sizes["clinical rows"] == 8 && s.sizes["metadata rows"] == 13)
        #expect(s.sections["excluded metadata rows"] == ["FinalImageType not 2D": 1, "special view (spot_mag 1)": 1, "duplicate image": 1,
                                                         "view not CC or MLO": 1, "exam not in the clinical table": 1])
        #expect(s.sections["mass (images)"] == ["0": 6, "1": 2] && s.sections["calcification (images)"] == ["0": 5, "1": 3])
        #expect(s.sections["density (images)"] == ["B": 3, "C": 2, "D": 1] && s.sections["malignancy (breasts)"] == ["0": 5, "1": 2])
        // One table alone is still counted as before.
        let single = try DatasetFormat.embed.inspect(root.appendingPathComponent("tables/EMBED_OpenData_clinical.csv"))
        #expect(single.sizes == ["patients": 3, "exams": 6])
    }

    @Test func eitherTableFindsTheOtherBesideIt() throws {
        let root = try Self.folder("pair", clinical: Self.clinical, metadata: Self.metadata)
        let viaClinical = try LabelledDataset.read(format: .embed, url: root.appendingPathComponent("tables/EMBED_OpenData_clinical.csv"))
        let viaMetadata = try LabelledDataset.read(format: .embed, url: root.appendingPathComponent("tables/EMBED_OpenData_metadata.csv"))
        #expect(viaClinical.images == viaMetadata.images && viaClinical.images.count == 8)
    }

    @Test func badTablesAreErrorsNamingTheFileAndTheValue() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-embed-\(getpid())-empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect { try LabelledDataset.read(format: .embed, url: empty) } throws: { "\($0)".contains("EMBED_OpenData_clinical.csv") }

        let badSide = try Self.folder("badside", clinical: "\(Self.clinicalHeader)\n1,11,2015-03-01,screen,1,left,N,2,,,,,,\n", metadata: Self.metadata)
        #expect { try LabelledDataset.read(format: .embed, url: badSide) } throws: {
            "\($0)".contains("EMBED_OpenData_clinical.csv") && "\($0)".contains("line 2: side 'left'")
        }
        let badSeverity = try Self.folder("badseverity", clinical: "\(Self.clinicalHeader)\n1,11,2015-03-01,screen,1,L,N,2,,,,,L,cancer\n", metadata: Self.metadata)
        #expect { try LabelledDataset.read(format: .embed, url: badSeverity) } throws: { "\($0)".contains("path_severity 'cancer'") }
        let badDensity = try Self.folder("baddensity", clinical: "\(Self.clinicalHeader)\n1,11,2015-03-01,screen,1,L,N,7,,,,,,\n", metadata: Self.metadata)
        #expect { try LabelledDataset.read(format: .embed, url: badDensity) } throws: { "\($0)".contains("tissueden '7'") }
        let badDate = try Self.folder("baddate", clinical: "\(Self.clinicalHeader)\n1,11,03/01/2015,screen,1,L,N,2,,,,,,\n", metadata: Self.metadata)
        #expect { try LabelledDataset.read(format: .embed, url: badDate) } throws: { "\($0)".contains("study_date_anon '03/01/2015'") }
        let noPath = try Self.folder("nopath", clinical: Self.clinical, metadata: "acc_anon,ViewPosition,ImageLateralityFinal\n11,CC,L\n")
        #expect { try LabelledDataset.read(format: .embed, url: noPath) } throws: {
            "\($0)".contains("EMBED_OpenData_metadata.csv") && "\($0)".contains("missing column 'anon_dicom_path'")
        }
    }

    @Test func calendarDaysAndLegendRules() {
        #expect(EmbedCodes.day("1970-01-01") == 0 && EmbedCodes.day("2000-03-01") == 11_017 && EmbedCodes.day("2016-01-30 00:00:00") == 16_830)
        #expect(EmbedCodes.day("2016-13-01") == nil && EmbedCodes.day("") == nil)
        #expect(EmbedCodes.isMass(shape: "R", margin: "") && EmbedCodes.isMass(shape: "", margin: "S") && !EmbedCodes.isMass(shape: "F", margin: ""))
        #expect(EmbedCodes.isSuspiciousCalcification(morphology: "K", distribution: "", assessment: "B"))
        #expect(!EmbedCodes.isSuspiciousCalcification(morphology: "G", distribution: "G", assessment: "N"))
        #expect(EmbedCodes.isSuspiciousCalcification(morphology: "", distribution: "S", assessment: "S"))
        #expect(EmbedCodes.densityIndex("4.0") == 3 && EmbedCodes.densityIndex("5") == nil && EmbedCodes.isDensityCode("5") && !EmbedCodes.isDensityCode("2.5"))
        #expect(EmbedJoin.imageID("/a/b/1.2.840.5.DCM") == "1.2.840.5" && EmbedJoin.identifier("4932273561626049.0") == "4932273561626049")
    }
}
