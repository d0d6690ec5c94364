import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import os

import pytest

DATA_HINT = "set RILLET_DATA=<path to shared/data> to run"


def data_root():
    """$RILLET_DATA; tests that need the shared data are skipped when it is unset."""
    env = os.environ.get("RILLET_DATA")
    if not env:
        pytest.skip(DATA_HINT)
    return Path(env)


def fixture_dir():
    d = data_root() / "elmo-fixture"
    if not (d / "lm_weights.hdf5").is_file():
        pytest.skip(f"no ELMo fixture under {d}; {DATA_HINT}")
    return d


TINY_CONLLU = """# newdoc id = d1
# text = The cat sat .
1\tThe\tthe\tDET\t_\t_\t2\t_\t_\t_
2\tcat\tcat\tNOUN\t_\t_\t3\t_\t_\t_
3\tsat\tsit\tVERB\t_\t_\t0\t_\t_\t_
4\t.\t.\tPUNCT\t_\t_\t3\t_\t_\t_

# text = It ran 2 miles !
1\tIt\tit\tPRON\t_\t_\t2\t_\t_\t_
2\tran\trun\tVERB\t_\t_\t0\t_\t_\t_
3\t2\t2\tNUM\t_\t_\t4\t_\t_\t_
4\tmiles\tmile\tNOUN\t_\t_\t2\t_\t_\t_
5\t!\t!\tPUNCT\t_\t_\t2\t_\t_\t_

# newdoc id = d2
# text = Good dogs bark loudly .
1\tGood\tgood\tADJ\t_\t_\t2\t_\t_\t_
2\tdogs\tdog\tNOUN\t_\t_\t3\t_\t_\t_
3\tbark\tbark\tVERB\t_\t_\t0\t_\t_\t_
4\tloudly\tloudly\tADV\t_\t_\t3\t_\t_\t_
5\t.\t.\tPUNCT\t_\t_\t3\t_\t_\t_

"""


def tiny_data(root):
    """A miniature shared/data tree (same file names and formats) for recipe tests."""
    root = Path(root)
    (root / "corpus").mkdir(parents=True)
    (root / "ud-ewt").mkdir()
    (root / "sst").mkdir()
    (root / "corpus" / "gutenberg-test-book.txt").write_text(
        "[ Book by Someone 1900 ]\nThe dog ran home .\nIt was a fine day , said she .\n"
        "She laughed .\n", encoding="utf-8")
    wiki = " \n = Title = \n \n The river flows south . It is long @-@ winding . \n"
    (root / "corpus" / "wikitext-2-valid.tokens").write_text(wiki, encoding="utf-8")
    (root / "corpus" / "wikitext-2-test.tokens").write_text(
        " \n A town is near the river . It grew fast . \n", encoding="utf-8")
    for split in ("train", "dev"):
        (root / "ud-ewt" / f"en_ewt-ud-{split}.conllu").write_text(TINY_CONLLU, encoding="utf-8")
        (root / "sst" / f"stsa.binary.{split}").write_text(
            "1 a fine , funny film .\n0 dull and long .\n1 great fun\n0 not good at all\n",
            encoding="utf-8")
        (root / "sst" / f"stsa.fine.{split}").write_text(
            "4 a fine , funny film .\n0 dull and long .\n2 it is a film\n3 great fun\n"
            "1 not good at all\n", encoding="utf-8")
    return root
