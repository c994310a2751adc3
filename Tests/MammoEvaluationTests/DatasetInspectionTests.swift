import Foundation
@testable import MammoEvaluation
import Testing
@testable import MammoData

/// `dataset inspect` on small hand-written CSVs in each dataset's column layout.
@Suite struct DatasetInspectionTests {
    static func write(_ name: String, _ text: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-datasets-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func vindrFindingAnnotations() throws {
        let url = try Self.write("finding_annotations.csv", """
            image_id,study_id,series_id,laterality,view_position,height,width,breast_birads,breast_density,finding_categories,finding_birads,xmin,ymin,xmax,ymax,split
            i1,s1,x,L,CC,10,10,BI-RADS 4,DENSITY C,['Mass'],BI-RADS 4,1,2,3,4,training
            i1,s1,x,L,CC,10,10,BI-RADS 4,DENSITY C,"['Mass', 'Suspicious Calcification']",BI-RADS 4,5,6,7,8,training
            i2,s1,x,L,MLO,10,10,BI-RADS 4,DENSITY C,['Suspicious Calcification'],BI-RADS 4,1,2,3,4,training
            i3,s2,x,R,CC,10,10,BI-RADS 1,DENSITY B,['No Finding'],,,,,,test
            """)
        let s = try DatasetFormat.vindr.inspect(url)
        #expect(s.rows == 4 && s.sizes["images"] == 3 && s.sizes["studies"] == 2 && s.sizes["boxes"] == 3)
        #expect(s.sections["split (images)"] == ["training": 2, "test": 1])
        #expect(s.sections["images with finding"] == ["Mass": 1, "Suspicious Calcification": 2, "No Finding": 1])
        #expect(s.sections["breast density (images)"] == ["DENSITY C": 2, "DENSITY B": 1])
    }

    @Test func rsnaTrainCSV() throws {
        let url = try Self.write("train.csv", """
            site_id,patient_id,image_id,laterality,view,age,cancer,biopsy,invasive,BIRADS,implant,density,machine_id,difficult_negative_case,fold
            1,10,100,L,CC,60,1,1,1,,0,B,49,False,0
            1,10,101,L,MLO,60,1,1,1,,0,B,49,False,0
            1,10,102,R,CC,60,0,0,0,1,0,B,49,False,0
            2,11,103,L,CC,55,0,0,0,1,0,,21,False,1
            """)
        let s = try DatasetFormat.rsna.inspect(url)
        #expect(s.sizes == ["images": 4, "patients": 2, "breasts": 3, "breasts with cancer": 1, "patients with cancer": 1])
        #expect(s.sections["cancer (images)"] == ["1": 2, "0": 2] && s.sections["fold (images)"] == ["0": 3, "1": 1])
    }

    @Test func cbisEmbedMammoclipAndErrors() throws {
        let cbis = try Self.write("mass_case_description_train_set.csv", """
            patient_id,breast_density,left or right breast,image view,abnormality id,abnormality type,mass shape,mass margins,assessment,pathology,subtlety,image file path,cropped image file path,ROI mask file path
            P_1,3,LEFT,CC,1,mass,OVAL,CIRCUMSCRIBED,4,MALIGNANT,4,a,b,c
            P_1,3,LEFT,CC,2,mass,ROUND,OBSCURED,3,BENIGN,3,a,b,c
            P_2,2,RIGHT,MLO,1,mass,IRREGULAR,SPICULATED,5,MALIGNANT,5,a,b,c
            """)
        let c = try DatasetFormat.cbis.inspect(cbis)
        #expect(c.sizes == ["abnormalities": 3, "patients": 2, "images": 2] && c.sections["pathology"] == ["MALIGNANT": 2, "BENIGN": 1])

        let embed = try Self.write("EMBED_OpenData_clinical.csv", """
            empi_anon,acc_anon,desc,side,asses,path_severity,tissueden
            1,a,screen,L,N,,2
            1,b,diag,R,B,,2
            2,c,screen,L,A,,3
            """)
        let e = try DatasetFormat.embed.inspect(embed)
        #expect(e.sizes == ["patients": 2, "exams": 3] && e.sections["assessment (asses)"] == ["N": 1, "B": 1, "A": 1])

        let clip = try Self.write("pretrain.csv", """
            patient_id,laterality,image,view,CC,MLO,text,text_augment,fold
            p1,L,"['a.png', 'b.png']","['CC', 'MLO']",['a.png'],['b.png'],"['x', 'y']","['x', 'y']",0
            p1,R,"['c.png', 'd.png']","['CC', 'MLO']",['c.png'],['d.png'],"['x', 'y']","['x', 'y']",1
            """)
        let m = try DatasetFormat.mammoclip.inspect(clip)
        #expect(m.sizes == ["breasts": 2, "patients": 1, "images": 4] && m.sections["fold (breasts)"] == ["0": 1, "1": 1])

        let broken = try Self.write("broken.csv", "patient_id,image_id\n1,2\n")
        #expect { try DatasetFormat.rsna.inspect(broken) } throws: { "\($0)".contains("broken.csv") && "\($0)".contains("missing column 'laterality'") }
        let ragged = try Self.write("ragged.csv", "patient_id,empi_anon\n1\n")
        #expect { try DatasetFormat.embed.inspect(ragged) } throws: { "\($0)".contains("line 2: 1 fields") }
    }
}
