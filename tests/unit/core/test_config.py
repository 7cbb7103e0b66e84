"""goship.toml, GOSHIP_* variables and flags resolve into one Config."""

from __future__ import annotations

from pathlib import Path

import pytest

from goship.config import Options, load_config
from goship.errors import ConfigError, UsageError
from goship.oci.platform import Platform


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.22\n")
    (tmp_path / "goship.toml").write_text(text)
    return tmp_path


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n")
    config = load_config(tmp_path, Options(), {"HOME": str(tmp_path)})
    assert config.config_file is None
    assert [image.package for image in config.images] == ["."]
    assert config.base == "static"
    assert config.image_tags == ("latest",)
    assert len(config.platforms) == 1 and config.platforms[0].os == "linux"


def test_flags_win_over_environment_over_file(tmp_path: Path) -> None:
    write(tmp_path, 'platforms = ["linux/arm64"]\nbase = "file/base:1"\nrepository = "file.io/x"\n')
    env = {"GOSHIP_PLATFORMS": "linux/386", "GOSHIP_BASE": "env/base:1", "HOME": str(tmp_path)}
    from_file = load_config(tmp_path, Options(), {"HOME": str(tmp_path)})
    assert from_file.platforms == (Platform("linux", "arm64"),)
    assert from_file.repository == "file.io/x"
    from_env = load_config(tmp_path, Options(), env)
    assert from_env.platforms == (Platform("linux", "386"),)
    assert from_env.base == "env/base:1"
    from_flags = load_config(tmp_path, Options(platforms="linux/amd64,windows/amd64", base="static",
                                               push="flag.io/y"), env)
    assert from_flags.platforms == (Platform("linux", "amd64"), Platform("windows", "amd64"))
    assert from_flags.base == "static"
    assert from_flags.repository == "flag.io/y"


def test_goship_source_names_the_source_over_the_file(tmp_path: Path) -> None:
    write(tmp_path, 'source = "https://git.example.com/team/from-file"\n')
    assert load_config(tmp_path, Options(), {"HOME": str(tmp_path)}).source_url == \
        "https://git.example.com/team/from-file"
    env = {"HOME": str(tmp_path), "GOSHIP_SOURCE": "https://git.example.com/team/from-env"}
    assert load_config(tmp_path, Options(), env).source_url == "https://git.example.com/team/from-env"


def test_images_tables(tmp_path: Path) -> None:
    write(tmp_path, '[[images]]\nname = "api"\npackage = "./cmd/api"\nports = [8080, 9090]\n'
                    'env = { A = "1" }\n\n[[images]]\npackage = "./cmd/worker"\n')
    config = load_config(tmp_path, Options(), {"HOME": str(tmp_path)})
    assert [(i.name, i.package) for i in config.images] == [("api", "./cmd/api"), ("worker", "./cmd/worker")]
    assert config.images[0].ports == (8080, 9090)
    assert config.images[0].env == (("A", "1"),)


def test_unknown_key_in_second_image_names_its_line(tmp_path: Path) -> None:
    write(tmp_path, '[[images]]\npackage = "./a"\n\n[[images]]\npackage = "./b"\nimage = "x"\n')
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path, Options(), {"HOME": str(tmp_path)})
    assert error.value.message.endswith("goship.toml:6: unknown key 'images.image'")
    assert "package" in error.value.hint


def test_unknown_build_key(tmp_path: Path) -> None:
    write(tmp_path, '[build]\nldflag = ["-X a=b"]\n')
    with pytest.raises(ConfigError, match=r"goship.toml:2: unknown key 'build.ldflag'"):
        load_config(tmp_path, Options(), {"HOME": str(tmp_path)})


def test_image_without_package(tmp_path: Path) -> None:
    write(tmp_path, '[[images]]\nname = "api"\n')
    with pytest.raises(ConfigError, match="has no 'package'"):
        load_config(tmp_path, Options(), {"HOME": str(tmp_path)})


def test_duplicate_image_names(tmp_path: Path) -> None:
    write(tmp_path, '[[images]]\npackage = "./cmd/api"\n[[images]]\npackage = "./other/api"\n')
    with pytest.raises(ConfigError, match="two images are named 'api'"):
        load_config(tmp_path, Options(), {"HOME": str(tmp_path)})


def test_bad_source_date_epoch(tmp_path: Path) -> None:
    write(tmp_path, "")
    with pytest.raises(ConfigError, match="SOURCE_DATE_EPOCH"):
        load_config(tmp_path, Options(), {"HOME": str(tmp_path), "SOURCE_DATE_EPOCH": "yesterday"})


def test_bad_compression(tmp_path: Path) -> None:
    write(tmp_path, 'compression = "brotli"\n')
    with pytest.raises(ConfigError, match="unknown compression 'brotli'"):
        load_config(tmp_path, Options(), {"HOME": str(tmp_path)})


def test_missing_ca_file(tmp_path: Path) -> None:
    write(tmp_path, "")
    with pytest.raises(UsageError, match="CA file"):
        load_config(tmp_path, Options(ca_file=str(tmp_path / "nope.pem")), {"HOME": str(tmp_path)})


def test_packages_on_the_command_line_reuse_their_configured_settings(tmp_path: Path) -> None:
    write(tmp_path, '[[images]]\nname = "api"\npackage = "./cmd/api"\nports = [1]\n')
    config = load_config(tmp_path, Options(packages=("./cmd/api/", "./cmd/other")), {"HOME": str(tmp_path)})
    assert [(i.name, i.ports) for i in config.images] == [("api", (1,)), ("other", ())]
