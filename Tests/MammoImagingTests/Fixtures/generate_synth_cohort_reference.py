"""Reads a small synthetic cohort written by `mammofm synth` with pydicom and records what it sees
(run: make fixtures, after building mammofm). The Swift test regenerates the same cohort and checks
that MammoFM's reader and pydicom agree on every file, and that the generator still writes the same
pixels. Writes synth_cohort_reference.json.

pydicom decodes with pylibjpeg (JPEG 2000, RLE) and pyjpegls (JPEG-LS), independent of GDCM, which
wrote the compressed files.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.uid import JPEGLSLossless

HERE = os.path.dirname(os.path.abspath(__file__))
# Keep in step with SynthCohortReferenceTests.config.
OPTIONS = ["--patients", "6", "--seed", "11", "--size", "160x96", "--prevalence", "3", "--cancer-rate", "4", "--generator", "synth-1"]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        subprocess.check_output(["swift", "build", "--show-bin-path"], text=True).strip(), "mammofm")
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([binary, "synth", *OPTIONS, "--out", os.path.join(out, "cohort"), "--jobs", "2"], check=True)
        root = os.path.join(out, "cohort")
        reference = {}
        syntaxes = set()
        for patient in sorted(os.listdir(os.path.join(root, "dicom"))):
            for name in sorted(os.listdir(os.path.join(root, "dicom", patient))):
                ds = pydicom.dcmread(os.path.join(root, "dicom", patient, name))
                syntax = ds.file_meta.TransferSyntaxUID
                syntaxes.add(str(syntax))
                if syntax.is_compressed:
                    ds.pixel_array_options(decoding_plugin="pyjpegls" if syntax == JPEGLSLossless else "pylibjpeg")
                stored = ds.pixel_array.astype(np.int64).reshape(-1)
                weights = np.arange(stored.size, dtype=np.int64) % 65521
                reference[name] = {
                    "transfer_syntax": str(syntax), "rows": int(ds.Rows), "columns": int(ds.Columns),
                    "bits_stored": int(ds.BitsStored), "photometric": str(ds.PhotometricInterpretation),
                    "laterality": str(ds.ImageLaterality), "view": str(ds.ViewPosition),
                    "intent": str(ds.PresentationIntentType), "manufacturer": str(ds.Manufacturer),
                    "patient_id": str(ds.PatientID), "age": str(ds.PatientAge),
                    "sop_instance_uid": str(ds.SOPInstanceUID), "study_uid": str(ds.StudyInstanceUID),
                    "sop_class_uid": str(ds.SOPClassUID),
                    "voi_lut_items": len(ds.get("VOILUTSequence", [])),
                    "sum": int(stored.sum()), "weighted": int((stored * weights).sum()),
                    "min": int(stored.min()), "max": int(stored.max()),
                }
        assert len(syntaxes) == 4, f"the fixture cohort should hold every vendor's syntax, got {syntaxes}"
    with open(os.path.join(HERE, "synth_cohort_reference.json"), "w") as f:
        json.dump(reference, f, indent=1, sort_keys=True)
    print(len(reference), "files,", sorted(syntaxes))


if __name__ == "__main__":
    main()
