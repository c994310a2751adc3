import Foundation
import MammoData
import MammoDetection
import MammoEvaluation
import Testing

@Suite struct DetectionDatasetTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-detection-data-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("labels"), withIntermediateDirectories: true)
        return url
    }

    static let imagesCSV = """
    image_id,patient_id,rows,columns,density,split
    P1-RCC,P1,128,80,C,train
    P1-RMLO,P1,128,80,C,train
    P2-LCC,P2,128,80,B,test

    """

    static func findings(_ rows: String) -> String {
        "image_id,vindr_category,size_mm,xmin,ymin,xmax,ymax\n" + rows
    }

    @Test func synthTablesGiveEveryImageWithItsLesions() throws {
        let root = try Self.folder()
        try Self.imagesCSV.write(to: root.appendingPathComponent("labels/images.csv"), atomically: true, encoding: .utf8)
        try Self.findings("P1-RCC,Mass,14.8,67,39,77,47\nP1-RCC,,3.0,1,1,2,2\nP2-LCC,Suspicious Calcification,4.0,10,20,14,26\n")
            .write(to: root.appendingPathComponent("labels/findings.csv"), atomically: true, encoding: .utf8)
        let dataset = try DetectionDataset.read(root, format: .synth, validationFraction: 0)
        #expect(dataset.images.count == 3)
        let first = try #require(dataset.images.first { $0.imageID == "P1-RCC" })
        #expect(first.lesions == [.init(finding: .mass, box: BoundingBox(xmin: 67, ymin: 39, xmax: 77, ymax: 47), sizeMM: 14.8)])
        #expect(dataset.images.first { $0.imageID == "P1-RMLO" }?.lesions.isEmpty == true)
        #expect(dataset.images.first { $0.imageID == "P2-LCC" }?.lesions.first?.finding == .calcification)
    }

    @Test func badBoxesAreRefusedNamingFileLineAndValue() throws {
        for (rows, words) in [("P1-RCC,Mass,1,67,39,90,47\n", ["line 2", "outside its 80 x 128 image"]),
                              ("P1-RCC,Mass,1,-3,39,70,47\n", ["line 2", "negative"]),
                              ("P1-RCC,Mass,1,67,39,60,47\n", ["line 2", "no positive width"]),
                              ("P1-RCC,Mass,1,67,abc,70,47\n", ["line 2", "'abc'"]),
                              ("P9-RCC,Mass,1,1,1,5,5\n", ["line 2", "P9-RCC"])] {
            let root = try Self.folder()
            try Self.imagesCSV.write(to: root.appendingPathComponent("labels/images.csv"), atomically: true, encoding: .utf8)
            let findings = root.appendingPathComponent("labels/findings.csv")
            try Self.findings(rows).write(to: findings, atomically: true, encoding: .utf8)
            do {
                _ = try DetectionDataset.read(root, format: .synth)
                Issue.record("accepted \(rows)")
            } catch let error as InputError {
                let text = "\(error)"
                #expect(text.contains(findings.path) && words.allSatisfy(text.contains), "\(text)")
            }
        }
    }

    @Test func vindrFindingAnnotationsMergeRowsAndNeedTheirColumns() throws {
        let root = try Self.folder()
        let csv = root.appendingPathComponent("finding_annotations.csv")
        try """
        study_id,image_id,laterality,view_position,height,width,breast_density,finding_categories,xmin,ymin,xmax,ymax,split
        S1,I1,R,CC,3518,2800,DENSITY C,['Mass'],2355.1,1731.6,2482.9,1852.7,training
        S1,I1,R,CC,3518,2800,DENSITY C,"['Mass', 'Suspicious Calcification']",100,100,150,160,training
        S1,I2,R,MLO,3518,2800,DENSITY C,['No Finding'],,,,,training
        S2,I3,L,CC,3518,2800,DENSITY A,['Asymmetry'],10,10,20,20,test

        """.write(to: csv, atomically: true, encoding: .utf8)
        let dataset = try DetectionDataset.read(csv, format: .vindr, validationFraction: 0)
        #expect(dataset.images.map(\.imageID) == ["I1", "I2", "I3"])
        #expect(dataset.images[0].lesions.map(\.finding) == [.mass, .mass, .calcification] && dataset.images[0].density == "C")
        #expect(dataset.images[1].lesions.isEmpty && dataset.images[2].lesions.isEmpty && dataset.images[2].split == .test)

        try "study_id,image_id,split,finding_categories,xmin,ymin,xmax\n".write(to: csv, atomically: true, encoding: .utf8)
        #expect { try DetectionDataset.read(csv, format: .vindr) } throws: { "\($0)".contains("missing column 'ymax'") && "\($0)".contains(csv.path) }
    }
}
