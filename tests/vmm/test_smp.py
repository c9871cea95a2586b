"""-smp parsing with QEMU's rules (hw/core/machine-smp.c) and an error naming each mistake."""

import pytest

from vcpu_hotplug.vmm.errors import ConfigError, VmmError
from vcpu_hotplug.vmm.smp import MAX_VCPUS, SmpConfig, parse_smp


def shape(c: SmpConfig):
    return (c.cpus, c.maxcpus, c.sockets, c.clusters, c.cores, c.threads)


@pytest.mark.parametrize("option, expected", [
    # no -smp at all: one CPU
    ("", (1, 1, 1, 1, 1, 1)),
    # a bare number is cpus; since QEMU 6.2 the missing level is cores
    ("4", (4, 4, 1, 1, 4, 1)),
    (8, (8, 8, 1, 1, 8, 1)),
    # maxcpus given: cores absorb it, cpus stays
    ("2,maxcpus=6", (2, 6, 1, 1, 6, 1)),
    # cores given, sockets missing: sockets = maxcpus / (clusters * cores * threads)
    ("cpus=2,maxcpus=6,cores=3", (2, 6, 2, 1, 3, 1)),
    # neither cpus nor maxcpus: the product of the levels, all enabled
    ("sockets=2,cores=3", (6, 6, 2, 1, 3, 1)),
    ("cpus=2,maxcpus=8,sockets=2,clusters=2", (2, 8, 2, 2, 2, 1)),
    ("8,threads=2", (8, 8, 1, 1, 4, 2)),
    # threads missing with sockets and cores given: threads computed last
    ("maxcpus=12,sockets=2,cores=3", (12, 12, 2, 1, 3, 2)),
    # only maxcpus: cpus follows it
    ("maxcpus=6", (6, 6, 1, 1, 6, 1)),
    # unsupported levels are accepted as 1
    ("4,dies=1,modules=1", (4, 4, 1, 1, 4, 1)),
    (" cpus = 2 , maxcpus = 4 ", (2, 4, 1, 1, 4, 1)),
])
def test_missing_values_are_derived_as_qemu_does(option, expected):
    assert shape(parse_smp(option)) == expected


@pytest.mark.parametrize("option, parameter, words", [
    ("cpus=0", "cpus", "greater than zero"),
    ("2,maxcpus=6,cores=0", "cores", "greater than zero"),
    ("cpus=7,maxcpus=6", "cpus", "maxcpus must be equal to or greater than"),
    ("maxcpus=7,cores=2", "maxcpus", "product of the hierarchy"),
    ("maxcpus=6,sockets=4", "maxcpus", "product of the hierarchy"),
    ("cpus=2,maxcpus=8,sockets=2,cores=2,threads=1", "maxcpus", "product of the hierarchy"),
    ("dies=2", "dies", "not supported"),
    ("cpus=4,books=2", "books", "not supported"),
    ("foo=1", "foo", "unknown -smp parameter"),
    ("cpus=two", "cpus", "not a number"),
    ("cpus=1,cpus=2", "cpus", "more than once"),
    ("4,5", "-smp", "only the first item"),
    ("600", "maxcpus", "limit of 512"),
    ("cpus=1,maxcpus=513", "maxcpus", "limit of 512"),
    ("cpus=-1", "cpus", "greater than zero"),
])
def test_each_mistake_names_its_parameter(option, parameter, words):
    with pytest.raises(ConfigError) as info:
        parse_smp(option)
    assert info.value.parameter == parameter
    assert words in str(info.value) and str(info.value).startswith(f"{parameter}:")
    assert isinstance(info.value, VmmError)


def test_the_kvm_limit_itself_is_accepted_and_the_option_round_trips():
    config = parse_smp(f"cpus=1,maxcpus={MAX_VCPUS}")
    assert config.maxcpus == 512
    complex_ = parse_smp("cpus=3,maxcpus=16,sockets=2,clusters=2,cores=2,threads=2")
    assert parse_smp(complex_.to_option()) == complex_


def test_a_config_built_directly_is_checked_too():
    with pytest.raises(ConfigError, match="maxcpus"):
        SmpConfig(cpus=1, maxcpus=6, sockets=1, clusters=1, cores=4, threads=1)
