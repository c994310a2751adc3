"""Regenerates the `mammoclip` preprocessing references (run: make fixtures).

The reference's own steps (Mammo-CLIP preprocessing/preprocess_image_to_png_vindr.py: save_imgs and
ExtractBreast, copied below as they are there) run on real DICOM files of pydicom-data, with pydicom in
place of dicomsdl (stored values; the rescale dicomsdl's pixelData applies, in float32) and OpenCV's
INTER_AREA. Writes mammoclip_profile/<name>.png and mammoclip_profile/crops.json (the crop box the
reference kept, as row and column index ranges of the trimmed image).
"""
import json
import os

import cv2
import numpy as np
import pydicom
from pydicom.data import get_testdata_file

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ["RG1_UNCR.dcm", "RG1_J2KI.dcm", "RG3_UNCR.dcm", "RG3_J2KR.dcm", "MR2_UNCR.dcm", "693_UNCR.dcm"]
# The synthetic MG phantoms of generate_synthetic_dicom.py (run it first).
SYNTHETIC = ["mg_l_cc_m2_12bit_raw.dcm", "mg_r_mlo_m1_14bit_j2k.dcm", "mg_r_cc_m1_12bit_rle.dcm"]


# ---- the reference's code, unchanged ----
def np_CountUpContinuingOnes(b_arr):
    left = np.arange(len(b_arr))
    left[b_arr > 0] = 0
    left = np.maximum.accumulate(left)
    rev_arr = b_arr[::-1]
    right = np.arange(len(rev_arr))
    right[rev_arr > 0] = 0
    right = np.maximum.accumulate(right)
    right = len(rev_arr) - 1 - right[::-1]
    return right - left - 1


def ExtractBreast(img):
    img_copy = img.copy()
    img = np.where(img <= 40, 0, img)
    height, _ = img.shape
    y_a = height // 2 + int(height * 0.4)
    y_b = height // 2 - int(height * 0.4)
    b_arr = img[y_b:y_a].std(axis=0) != 0
    continuing_ones = np_CountUpContinuingOnes(b_arr)
    col_ind = np.where(continuing_ones == continuing_ones.max())[0]
    img = img[:, col_ind]
    _, width = img.shape
    x_a = width // 2 + int(width * 0.4)
    x_b = width // 2 - int(width * 0.4)
    b_arr = img[:, x_b:x_a].std(axis=1) != 0
    continuing_ones = np_CountUpContinuingOnes(b_arr)
    row_ind = np.where(continuing_ones == continuing_ones.max())[0]
    return img_copy[row_ind][:, col_ind], row_ind, col_ind


def reference(ds, SIZE=(912, 1520)):
    data = ds.pixel_array.astype(np.float32)
    if "RescaleSlope" in ds and (float(ds.RescaleSlope) != 1 or float(ds.RescaleIntercept) != 0):
        data = data * np.float32(ds.RescaleSlope) + np.float32(ds.RescaleIntercept)
    data = data[5:-5, 5:-5]
    if ds.PhotometricInterpretation == "MONOCHROME1":
        data = np.amax(data) - data
    data = data - np.min(data)
    data = data / np.max(data)
    data = (data * 255).astype(np.uint8)
    img, rows, cols = ExtractBreast(data)
    img = cv2.resize(img, SIZE, interpolation=cv2.INTER_AREA)
    return img, rows, cols


def main():
    folder = os.path.join(HERE, "mammoclip_profile")
    os.makedirs(folder, exist_ok=True)
    crops = {}
    for name in FILES + SYNTHETIC:
        ds = pydicom.dcmread(get_testdata_file(name) if name in FILES else os.path.join(HERE, "synthetic", name))
        img, rows, cols = reference(ds)
        cv2.imwrite(os.path.join(folder, name.replace(".dcm", ".png")), img)
        crops[name] = {"rows": [int(rows.min()), int(rows.max()) + 1, len(rows)], "columns": [int(cols.min()), int(cols.max()) + 1, len(cols)]}
        print(name, crops[name])
    with open(os.path.join(folder, "crops.json"), "w") as f:
        json.dump(crops, f, indent=1)


if __name__ == "__main__":
    main()
