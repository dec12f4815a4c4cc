using Calltracking.Edge.Sip.Registrar;
using Microsoft.Extensions.Time.Testing;

namespace Calltracking.Edge.Sip.Tests.Registrar;

public sealed class DigestAuthenticatorTests
{
    private static readonly byte[] Secret = "a shared secret of the edge fleet"u8.ToArray();

    [Fact]
    public void Md5_response_matches_the_rfc_2617_example()
    {
        var credentials = new DigestCredentials("Mufasa", "testrealm@host.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "/dir/index.html",
            "6629fae49393a05397450978507c4ef1", "MD5", "0a4f113b", "auth", "00000001", "5ccc069c403ebaf9f0171e9517f40e41");
        Assert.Equal(credentials.Response, DigestAuthenticator.ExpectedResponse(credentials, "GET", "Circle Of Life", "MD5"));
    }

    [Fact]
    public void Sha256_response_matches_the_rfc_7616_example()
    {
        var credentials = new DigestCredentials("Mufasa", "http-auth@example.org", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "/dir/index.html",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", "SHA-256", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", "00000001", null);
        Assert.Equal(credentials.Response, DigestAuthenticator.ExpectedResponse(credentials, "GET", "Circle of Life", "SHA-256"));
    }

    private static (DigestAuthenticator Auth, FakeTimeProvider Time) Create()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        return (new DigestAuthenticator(Secret, "edge.example", TimeSpan.FromMinutes(5), time), time);
    }

    private static DigestCredentials Answer(string nonce, string algorithm, string password, string user = "10001_office")
    {
        var unsigned = new DigestCredentials(user, "edge.example", nonce, "sip:edge.example", string.Empty, algorithm, "c0ffee", "auth", "00000001", null);
        return unsigned with { Response = DigestAuthenticator.ExpectedResponse(unsigned, "REGISTER", password, algorithm) };
    }

    [Theory]
    [InlineData("SHA-256")]
    [InlineData("MD5")]
    public void A_ua_with_the_password_is_admitted(string algorithm)
    {
        var (auth, _) = Create();
        Assert.Equal(DigestVerdict.Valid, auth.Verify(Answer(auth.IssueNonce(), algorithm, "s3cret"), "REGISTER", "s3cret"));
    }

    [Fact]
    public void A_wrong_password_is_invalid()
    {
        var (auth, _) = Create();
        Assert.Equal(DigestVerdict.Invalid, auth.Verify(Answer(auth.IssueNonce(), "SHA-256", "guess"), "REGISTER", "s3cret"));
    }

    [Fact]
    public void An_old_nonce_is_stale_so_the_ua_retries_without_prompting()
    {
        var (auth, time) = Create();
        var nonce = auth.IssueNonce();
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(DigestVerdict.Stale, auth.Verify(Answer(nonce, "MD5", "s3cret"), "REGISTER", "s3cret"));
    }

    [Fact]
    public void A_nonce_from_another_secret_or_forged_is_refused()
    {
        var (auth, time) = Create();
        var other = new DigestAuthenticator("another secret"u8.ToArray(), "edge.example", TimeSpan.FromMinutes(5), time);
        Assert.Equal(DigestVerdict.Malformed, auth.Verify(Answer(other.IssueNonce(), "MD5", "s3cret"), "REGISTER", "s3cret"));
        Assert.Equal(DigestVerdict.Malformed, auth.Verify(Answer("not-a-nonce", "MD5", "s3cret"), "REGISTER", "s3cret"));
    }

    [Fact]
    public void Another_instance_with_the_same_secret_accepts_the_nonce()
    {
        var (auth, time) = Create();
        var peer = new DigestAuthenticator(Secret, "edge.example", TimeSpan.FromMinutes(5), time);
        Assert.Equal(DigestVerdict.Valid, peer.Verify(Answer(auth.IssueNonce(), "SHA-256", "s3cret"), "REGISTER", "s3cret"));
    }

    [Fact]
    public void Unknown_algorithm_and_foreign_realm_are_malformed()
    {
        var (auth, _) = Create();
        var nonce = auth.IssueNonce();
        Assert.Equal(DigestVerdict.Malformed, auth.Verify(Answer(nonce, "SHA-512", "s3cret"), "REGISTER", "s3cret"));
        Assert.Equal(DigestVerdict.Malformed, auth.Verify(Answer(nonce, "MD5", "s3cret") with { Realm = "elsewhere" }, "REGISTER", "s3cret"));
    }

    [Fact]
    public void Challenges_offer_sha256_before_md5()
    {
        var (auth, _) = Create();
        var challenges = auth.Challenges(stale: true);
        Assert.Contains("algorithm=SHA-256", challenges[0], StringComparison.Ordinal);
        Assert.Contains("algorithm=MD5", challenges[1], StringComparison.Ordinal);
        Assert.All(challenges, c => Assert.Contains("stale=true", c, StringComparison.Ordinal));
    }
}
