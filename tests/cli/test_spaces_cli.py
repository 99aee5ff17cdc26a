import json
import subprocess
import sys

from netspace.cli import main


def run(capsys, *args):
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_spaces_list(capsys):
    rc, out, _ = run(capsys, "spaces", "list", "--json")
    names = {row["name"] for row in json.loads(out)}
    assert rc == 0 and {"anynetx_a", "anynetx_e", "regnetx", "regnety"} <= names


def test_sample_json_in_regime_is_reproducible(capsys):
    rc, out, _ = run(capsys, "spaces", "sample", "regnetx", "-n", "5", "--flops", "360M:400M", "--seed", "3", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert rc == 0 and len(rows) == 5
    assert all(360e6 <= r["complexity"]["flops"] <= 400e6 for r in rows)
    _, again, _ = run(capsys, "spaces", "sample", "regnetx", "-n", "5", "--flops", "360M:400M", "--seed", "3", "--json")
    assert again == out


def test_sample_table(capsys):
    rc, out, _ = run(capsys, "spaces", "sample", "anynetx_a", "-n", "3", "--seed", "1")
    assert rc == 0 and "FLOPs" in out and "params" in out and "acts" in out


def test_describe(capsys):
    rc, out, _ = run(capsys, "spaces", "describe", "anynetx_b", "--json")
    info = json.loads(out)
    assert rc == 0 and "b" in info["parameters"] and "b1" not in info["parameters"]
    assert any("shared" in c for c in info["constraints"]) and info["size"] > 1e15


def test_errors_are_one_line_exit_2(capsys):
    for args, needle in [
        (("spaces", "sample", "nope"), "unknown design space 'nope'"),
        (("spaces", "sample", "regnetx", "--flops", "400M:360M"), "malformed flops range"),
        (("spaces", "sample", "regnetx", "--flops", "1:2"), "widen the range"),
        (("spaces", "describe", "nope"), "unknown design space"),
    ]:
        rc, _, err = run(capsys, *args)
        assert rc == 2
        assert err.startswith("error: ") and needle in err and err.count("\n") == 1


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "netspace", "spaces", "sample", "nope"], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr and out.stderr.startswith("error:")


def test_presets_json_lists_the_seed_networks_with_their_references(capsys):
    rc, out, _ = run(capsys, "spaces", "presets", "--json")
    rows = {r["name"]: r for r in map(json.loads, out.splitlines())}
    assert rc == 0 and len([n for n in rows if n.startswith("regnet")]) == 24
    r50 = rows["resnet50"]
    assert r50["space"] == "resnext" and r50["params"] == r50["reference"]["params"] == 25_557_032
    assert r50["reference"]["macs"] == 4_089_184_256 and r50["flops"] == 4_089_185_256  # + the classifier's bias adds
    zoo = rows["regnety_200mf"]
    assert (zoo["flops"], zoo["params"], zoo["acts"]) == (199_519_076, 3_162_996, 2_168_052) == tuple(
        zoo["reference"][k] for k in ("flops", "params", "acts"))


def test_presets_table_and_describe_a_preset(capsys):
    rc, out, _ = run(capsys, "spaces", "presets")
    assert rc == 0 and "vgg19_bn" in out and "torchvision googlenet" in out and "d2l 8.8" in out
    rc, out, _ = run(capsys, "spaces", "describe", "d2l_googlenet", "--json")
    info = json.loads(out)
    assert rc == 0 and info["space"] == "inception" and info["geometry"] == {"resolution": 96, "in_channels": 1,
                                                                              "num_classes": 10}
    assert info["params"] == 5_977_530 and info["space_options"]["num_stages"] == 3
