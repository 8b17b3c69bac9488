import pytest
from django.core.management import CommandError, call_command

from forces.models import Force

pytestmark = pytest.mark.django_db


def test_load_forces_again_changes_nothing(capsys):
    call_command("load_forces")

    assert "0 created, 0 updated, 43 unchanged" in capsys.readouterr().out
    assert Force.objects.count() == 43


def test_a_renamed_force_keeps_its_old_name_for_imports(tmp_path, capsys):
    renamed = tmp_path / "forces.csv"
    renamed.write_text(
        "code,name,former_names,country,region\n"
        "kent,Kent and Medway Police,,England,South East\n"
        "gwent,Gwent Police,Gwent Constabulary;Monmouthshire Constabulary,Wales,Wales\n",
        encoding="utf-8",
    )

    call_command("load_forces", str(renamed))

    assert "0 created, 1 updated, 1 unchanged" in capsys.readouterr().out
    assert Force.objects.resolve("Kent Police").name == "Kent and Medway Police"
    assert Force.objects.resolve("Kent and Medway Police").code == "kent"
    assert Force.objects.resolve("Monmouthshire Constabulary").code == "gwent"
    assert Force.objects.count() == 43


def test_a_malformed_forces_file_is_refused_and_changes_nothing(tmp_path):
    broken = tmp_path / "forces.csv"
    broken.write_text(
        "code,name,former_names,country,region\n"
        "kent,Kent and Medway Police,,England,South East\n"
        "new-force,,,England,\n",
        encoding="utf-8",
    )

    with pytest.raises(CommandError, match="line 3: name, region must not be blank"):
        call_command("load_forces", str(broken))

    assert Force.objects.get(code="kent").name == "Kent Police"
    assert not Force.objects.filter(code="new-force").exists()


def test_a_file_without_the_expected_columns_is_refused(tmp_path):
    broken = tmp_path / "forces.csv"
    broken.write_text("force,name\nkent,Kent Police\n", encoding="utf-8")

    with pytest.raises(CommandError, match="missing column"):
        call_command("load_forces", str(broken))


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("load_forces", str(tmp_path / "absent.csv"))
