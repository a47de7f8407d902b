"""The per-rule netfilter cost fitted from the bundled lab runs at 0, 1000 and 3000 nftables
rules (data/mtu1500-unshaped-nft*, issue 12).  Figures are printed (``pytest -s``) and given in
data/README.md and docs/models.md."""
import pytest

from cnimodel.calibrate import fit

BURST = 1 << 20


@pytest.fixture(scope="module")
def nft_rows(repo):
    data = repo / "data"
    if not (data / "mtu1500-unshaped-nft3000").exists():
        pytest.skip("bundled netfilter rule runs not present")
    from cnimodel.io import load_dataset

    df, _ = load_dataset(data)
    return df


def test_rows_carry_rule_counts(nft_rows):
    nft = nft_rows[nft_rows["nft_forward_rules"].notna()]
    assert sorted(nft["nft_forward_rules"].unique()) == [0, 1000, 3000]
    per = nft.groupby(["nft_forward_rules", "path"])["netfilter_rules"].unique()
    assert list(per[(3000, "routing")]) == [1500.0] and list(per[(3000, "host")]) == [0.0]
    assert list(per[(3000, "bridge")]) == [3000.0] and list(per[(0, "overlay")]) == [0.0]
    quiet = nft_rows[nft_rows["nft_forward_rules"].isna()]
    assert (quiet["netfilter_rules"].fillna(0) == 0).all()


@pytest.mark.parametrize("which", ["all", "rule runs"])
def test_per_rule_latency_is_identified(nft_rows, which):
    df = nft_rows if which == "all" else nft_rows[nft_rows["nft_forward_rules"].notna()]
    res = fit(df, accounting="l2", shaper_burst_bytes=BURST)
    est = res.estimates.set_index("parameter")
    lat = est.loc["netfilter_rule_latency_s"]
    cpu = est.loc["netfilter_rule_cpu_s"]
    print(f"\n{which}: netfilter_rule_latency_s {lat.estimate * 1e9:.1f} +- "
          f"{lat.std_error * 1e9:.1f} ns; netfilter_rule_cpu_s {cpu.estimate * 1e9:.0f} +- "
          f"{cpu.std_error * 1e9:.0f} ns")
    assert bool(lat.identified) and bool(cpu.identified)
    assert 5e-9 < lat.estimate < 100e-9 and lat.std_error < 0.25 * lat.estimate
