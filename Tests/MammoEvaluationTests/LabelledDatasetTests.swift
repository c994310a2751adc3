import Foundation
@testable import MammoEvaluation
import Testing
@testable import MammoData

/// Dataset readers into the labelled-image schema, splits, fractions, predictions files.
@Suite struct LabelledDatasetTests {
    static func write(_ name: String, _ text: String) throws -> URL { try DatasetInspectionTests.write(name, text) }

    @Test func vindrFindingsBecomeImageLabels() throws {
        let url = try Self.write("labelled_findings.csv", """
            image_id,study_id,series_id,laterality,view_position,height,width,breast_birads,breast_density,finding_categories,finding_birads,xmin,ymin,xmax,ymax,split
            i1,s1,x,L,CC,10,10,BI-RADS 4,DENSITY C,['Mass'],BI-RADS 4,1,2,3,4,training
            i1,s1,x,L,CC,10,10,BI-RADS 4,DENSITY C,"['Mass', 'Suspicious Calcification']",BI-RADS 4,5,6,7,8,training
            i2,s1,x,L,MLO,10,10,BI-RADS 4,DENSITY C,['Suspicious Calcification'],BI-RADS 4,1,2,3,4,training
            i3,s2,x,R,CC,10,10,BI-RADS 1,DENSITY B,['No Finding'],,,,,,test
            """)
        let d = try LabelledDataset.read(format: .vindr, url: url)
        #expect(d.images.map(\.imageID) == ["i1", "i2", "i3"])
        #expect(d.images[0].labels == ["mass": 1, "calcification": 1, "density": 2])
        #expect(d.images[1].labels == ["mass": 0, "calcification": 1, "density": 2])
        #expect(d.images[2].labels == ["mass": 0, "calcification": 0, "density": 1] && d.images[2].split == .test)
        #expect(d.images[0].breastKey == d.images[1].breastKey)
        #expect(d.tasks == [.mass, .calcification, .density])
    }

    @Test func mammoClipVindrCSVUsesItsFindingColumns() throws {
        let url = try Self.write("vindr_detection_v1_folds.csv", """
            patient_id,image_id,laterality,view,breast_birads,breast_density,split,fold,Mass,Suspicious_Calcification,Asymmetry
            p1,a,L,CC,BI-RADS 4,DENSITY C,training,1,1,0,0
            p1,b,L,MLO,BI-RADS 4,DENSITY C,training,1,0,1,0
            p2,c,R,CC,BI-RADS 1,DENSITY A,test,0,0,0,1
            """)
        let d = try LabelledDataset.read(format: .vindr, url: url)
        #expect(d.images.map(\.labels) == [["mass": 1, "calcification": 0, "density": 2], ["mass": 0, "calcification": 1, "density": 2],
                                           ["mass": 0, "calcification": 0, "density": 0]])
        #expect(d.images.map(\.patientID) == ["p1", "p1", "p2"] && d.images[1].view == "MLO" && d.tasks.contains(.mass))
        let bad = try Self.write("vindr_bad_flags.csv", "patient_id,image_id,laterality,view,breast_density,split,Mass,Suspicious_Calcification\np,a,L,CC,A,test,yes,0\n")
        do {
            _ = try LabelledDataset.read(format: .vindr, url: bad)
            Issue.record("expected an error")
        } catch { #expect("\(error)".contains("vindr_bad_flags.csv") && "\(error)".contains("Mass")) }
    }

    @Test func rsnaFoldsFollowTheProtocol() throws {
        let url = try Self.write("labelled_train.csv", """
            site_id,patient_id,image_id,laterality,view,age,cancer,biopsy,invasive,BIRADS,implant,density,machine_id,difficult_negative_case,fold
            1,10,100,L,CC,60,1,1,1,,0,B,49,False,0
            1,10,101,L,MLO,60,1,1,1,,0,B,49,False,0
            2,11,103,L,CC,55,0,0,0,1,0,,21,False,1
            2,12,104,L,CC,55,0,0,0,1,0,D,21,False,2
            2,13,105,L,CC,55,0,0,0,1,0,D,21,False,3
            """)
        let d = try LabelledDataset.read(format: .rsna, url: url)
        #expect(d.images.map(\.imageID) == ["100", "101", "103", "104"])
        #expect(d.images.map(\.split) == [.test, .test, .train, .train])
        #expect(d.images[0].labels == ["malignancy": 1, "density": 1] && d.images[2].labels == ["malignancy": 0])
        let noFold = try Self.write("labelled_nofold.csv", "patient_id,image_id,laterality,view,cancer\n1,2,L,CC,0\n")
        #expect(throws: InputError.self) { try LabelledDataset.read(format: .rsna, url: noFold) }
        let badCancer = try Self.write("labelled_badcancer.csv", "patient_id,image_id,laterality,view,cancer,fold\n1,2,L,CC,yes,0\n")
        do {
            _ = try LabelledDataset.read(format: .rsna, url: badCancer)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("labelled_badcancer.csv") && "\(error)".contains("row 2"))
        }
    }

    @Test func cbisCasesBecomeImages() throws {
        let url = try Self.write("mass_case_description_test_set.csv", """
            patient_id,breast_density,left or right breast,image view,abnormality id,abnormality type,mass shape,mass margins,assessment,pathology,subtlety,image file path,cropped image file path,ROI mask file path
            P_00016,4,LEFT,CC,1,mass,IRREGULAR,SPICULATED,5,MALIGNANT,5,Mass-Test_P_00016_LEFT_CC/1.3.6/000000.dcm,a,b
            P_00016,4,LEFT,CC,2,mass,OVAL,CIRCUMSCRIBED,3,BENIGN,3,Mass-Test_P_00016_LEFT_CC/1.3.6/000000.dcm,a,b
            P_00017,2,RIGHT,MLO,1,mass,OVAL,CIRCUMSCRIBED,3,BENIGN_WITHOUT_CALLBACK,3,Mass-Test_P_00017_RIGHT_MLO/1.3.6/000000.dcm,a,b
            """)
        let d = try LabelledDataset.read(format: .cbis, url: url)
        #expect(d.images.count == 2 && d.images.allSatisfy { $0.split == .test })
        #expect(d.images[0].labels == ["malignancy": 1, "density": 3] && d.images[0].laterality == "L")
        #expect(d.images[1].labels == ["malignancy": 0, "density": 1])
    }

    @Test func unknownFormatsAndTasksAreNamed() throws {
        #expect(throws: InputError.self) { try LabelledDataset.read(format: .embed, url: URL(fileURLWithPath: "/nonexistent")) }
        #expect(throws: InputError.self) { try ClassificationTask.named("cancerish") }
        #expect(try ClassificationTask.named("Mass") == .mass)
    }

    static func dataset(patients: Int) -> LabelledDataset {
        let images = (0..<patients).flatMap { p in
            ["CC", "MLO"].map { view in
                LabelledImage(imageID: "p\(p)-\(view)", patientID: "p\(p)", examID: "p\(p)-e1", laterality: "L", view: view,
                              split: p % 5 == 0 ? .test : .train, labels: ["mass": p % 3 == 0 ? 1 : 0])
            }
        }
        return LabelledDataset(format: "test", source: "memory", images: images, tasks: [.mass])
    }

    @Test func validationAndFractionsKeepPatientsWhole() throws {
        let d = Self.dataset(patients: 200)
        let v = d.withValidation(fraction: 0.2, seed: 1)
        let validationPatients = Set(v.images(in: .validation).map(\.patientID))
        #expect(validationPatients.count > 20 && validationPatients.count < 60)
        #expect(Set(v.images(in: .train).map(\.patientID)).isDisjoint(with: validationPatients))
        #expect(v.images(in: .test).count == d.images(in: .test).count)
        // Deterministic, and a no-op once validation exists.
        #expect(d.withValidation(fraction: 0.2, seed: 1).images == v.images)
        #expect(v.withValidation(fraction: 0.5, seed: 9).images == v.images)
        let tenth = try v.withTrainingFraction(0.1, seed: 4)
        let trainPatients = Set(v.images(in: .train).map(\.patientID)), kept = Set(tenth.images(in: .train).map(\.patientID))
        #expect(kept.count == Int((Double(trainPatients.count) * 0.1).rounded()) && kept.isSubset(of: trainPatients))
        #expect(tenth.images(in: .train).count == 2 * kept.count)
        // Larger fractions contain smaller ones for one seed (sorted by the same hash).
        #expect(kept.isSubset(of: Set(try v.withTrainingFraction(0.5, seed: 4).images(in: .train).map(\.patientID))))
        #expect(throws: InputError.self) { try v.withTrainingFraction(1.5, seed: 0) }
    }

    @Test func predictionsAggregatePerBreastAndExam() {
        let images = [
            LabelledImage(imageID: "a", patientID: "p", examID: "e", laterality: "L", view: "CC", split: .test, labels: ["mass": 0]),
            LabelledImage(imageID: "b", patientID: "p", examID: "e", laterality: "L", view: "MLO", split: .test, labels: ["mass": 1]),
            LabelledImage(imageID: "c", patientID: "p", examID: "e", laterality: "R", view: "CC", split: .test, labels: ["mass": 0]),
        ]
        let predictions = [
            Prediction(caseID: "a", patientID: "p", label: 0, probabilities: [0.8, 0.2]),
            Prediction(caseID: "b", patientID: "p", label: 1, probabilities: [0.4, 0.6]),
            Prediction(caseID: "c", patientID: "p", label: 0, probabilities: [0.9, 0.1]),
        ]
        let breasts = PredictionAggregation.perBreast(predictions, images: images)
        #expect(breasts.map(\.caseID) == ["e/L", "e/R"] && breasts.map(\.label) == [1, 0])
        #expect(abs(breasts[0].positiveProbability - 0.4) < 1e-12)
        let exams = PredictionAggregation.perExam(breasts)
        #expect(exams.count == 1 && exams[0].label == 1 && abs(exams[0].positiveProbability - 0.4) < 1e-12)
    }

    @Test func predictionsFilesRoundTripAndRefuseMismatches() throws {
        let d = Self.dataset(patients: 20)
        let test = d.images(in: .test).map { Prediction(caseID: $0.imageID, patientID: $0.patientID, label: $0.labels["mass"]!, probabilities: [0.3, 0.7]) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-predictions-\(getpid()).csv")
        try PredictionsFile.write(test, task: .mass, to: url)
        #expect(try PredictionsFile.read(url, task: .mass, dataset: d, split: .test) == test)
        try PredictionsFile.write(Array(test.dropLast()), task: .mass, to: url)
        #expect(throws: InputError.self) { try PredictionsFile.read(url, task: .mass, dataset: d, split: .test) }
        let bad = try Self.write("predictions_bad.csv", "image_id,probability\n\(test[0].caseID),1.5\n")
        do {
            _ = try PredictionsFile.read(bad, task: .mass, dataset: d, split: .test)
            Issue.record("expected an error")
        } catch { #expect("\(error)".contains("predictions_bad.csv") && "\(error)".contains("[0, 1]")) }
    }
}
