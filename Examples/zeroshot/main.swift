// The README's Swift example: zero-shot scores of a model on a labelled dataset, as
// `mammofm zeroshot` computes them, through one library call. Run it after the README's quick start
// (which makes work/cohort, work/prepared and work/pretrain): `swift run mammofm-zeroshot-example`.
import Foundation
import MammoData
import MammoDownstream
import Torch

Torch.threadCount = ProcessInfo.processInfo.activeProcessorCount
var data = StudyData(dataset: URL(fileURLWithPath: "work/cohort"), format: .synth,
                     images: URL(fileURLWithPath: "work/prepared/images"))
data.tasks = ["mass", "density"]
data.levels = [.breast]
var study = ZeroShotStudy(model: URL(fileURLWithPath: "work/pretrain/final"), data: data)
study.prompts = ["reference"]
let outcome = try study.run(log: .silent)
for line in outcome.document.summaryLines { print(line) }     // AUROC with intervals, per task
