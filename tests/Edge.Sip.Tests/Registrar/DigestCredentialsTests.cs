using Calltracking.Edge.Sip.Registrar;

namespace Calltracking.Edge.Sip.Tests.Registrar;

public sealed class DigestCredentialsTests
{
    [Fact]
    public void Parses_quoted_and_token_parameters()
    {
        var c = DigestCredentials.Parse("Digest username=\"10001_office\", realm=\"edge\",nonce=\"abc\", uri=\"sip:edge\", response=\"0123\", algorithm=SHA-256, cnonce=\"x\\\"y\", qop=auth, nc=00000001");
        Assert.NotNull(c);
        Assert.Equal("10001_office", c.Username);
        Assert.Equal("SHA-256", c.Algorithm);
        Assert.Equal("x\"y", c.Cnonce);
        Assert.Equal("auth", c.Qop);
        Assert.Equal("00000001", c.NonceCount);
    }

    [Fact]
    public void Algorithm_defaults_to_md5()
    {
        var c = DigestCredentials.Parse("digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"x\"");
        Assert.Equal("MD5", c!.Algorithm);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Digest")]
    [InlineData("Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\"")]
    [InlineData("Digest username=\"u, realm=\"r\"")]
    [InlineData("Digest username=\"u\" realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"x\"")]
    [InlineData("Digest username=\"u\", username=\"v\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"x\"")]
    [InlineData("Digest =x")]
    public void Malformed_credentials_are_null(string header) => Assert.Null(DigestCredentials.Parse(header));
}
