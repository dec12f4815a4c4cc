using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Routing;
using Calltracking.Edge.Sip.Transactions;
using Calltracking.Shared.Registrations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Calltracking.Edge.Sip.Registrar;

/// <summary>
/// The registrar for <c>sip_trunk</c> accounts (RFC 3261 §10.3): digest authentication against the account's
/// password (the script's redirect value), several contacts per account, expiry, un-REGISTER and <c>*</c>. Bindings
/// live in the shared <see cref="IRegistrationStore"/>, so a call arriving at any edge instance finds them.
/// </summary>
public sealed partial class SipRegistrar
{
    private readonly ISipAccountDirectory accounts;
    private readonly IRegistrationStore bindings;
    private readonly RoutingOptions options;
    private readonly DigestAuthenticator authenticator;
    private readonly TimeProvider time;
    private readonly CallMetrics metrics;
    private readonly ILogger<SipRegistrar> logger;

    public SipRegistrar(ISipAccountDirectory accounts, IRegistrationStore bindings, IOptions<RoutingOptions> options, TimeProvider time, CallMetrics metrics, ILogger<SipRegistrar> logger)
    {
        this.accounts = accounts;
        this.bindings = bindings;
        this.options = options.Value;
        this.time = time;
        this.metrics = metrics;
        this.logger = logger;
        var secret = this.options.RegistrarSecret.Length > 0 ? Encoding.UTF8.GetBytes(this.options.RegistrarSecret) : RandomNumberGenerator.GetBytes(32);
        authenticator = new DigestAuthenticator(secret, this.options.RegistrarRealm, TimeSpan.FromMinutes(5), time);
        InstanceName = this.options.InstanceName.Length > 0 ? this.options.InstanceName : Environment.MachineName;
    }

    public string InstanceName { get; }

    public async Task HandleAsync(ServerTransaction transaction)
    {
        var request = transaction.Request;
        var user = request.To?.Uri.User;
        if (user is null)
        {
            await transaction.RespondAsync(404, "Not Found", SipStack.NewTag());
            return;
        }

        var account = await accounts.FindAsync(user, CancellationToken.None);
        var credentials = request.HeaderLines(SipHeaderNames.Authorization).Select(h => DigestCredentials.Parse(h.Value)).FirstOrDefault(c => c is not null);
        if (credentials is null)
        {
            await ChallengeAsync(transaction, stale: false);
            return;
        }

        // An unknown account is challenged like a wrong password, so account names cannot be probed.
        var verdict = account is null || credentials.Username != user
            ? DigestVerdict.Invalid
            : authenticator.Verify(credentials, "REGISTER", account.Password);
        switch (verdict)
        {
            case DigestVerdict.Stale:
                await ChallengeAsync(transaction, stale: true);
                return;
            case DigestVerdict.Invalid or DigestVerdict.Malformed:
                metrics.Registration("unauthorized");
                LogRejected(logger, user, transaction.Source.ToString());
                await (verdict == DigestVerdict.Malformed
                    ? transaction.RespondAsync(400, "Bad Authorization Header", SipStack.NewTag())
                    : ChallengeAsync(transaction, stale: false));
                return;
        }

        await UpdateBindingsAsync(transaction, user);
    }

    private async Task UpdateBindingsAsync(ServerTransaction transaction, string user)
    {
        var request = transaction.Request;
        var now = time.GetUtcNow();
        int? headerExpires = int.TryParse(request.Header(SipHeaderNames.Expires), NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : null;
        var contacts = request.Addresses(SipHeaderNames.Contact);
        if (contacts.Any(c => c.IsWildcard))
        {
            // §10.3 step 6: "*" only with Expires: 0 and no other contact.
            if (contacts.Count != 1 || headerExpires != 0)
            {
                await transaction.RespondAsync(400, "Invalid Wildcard Contact", SipStack.NewTag());
                return;
            }

            await bindings.RemoveAllAsync(user, CancellationToken.None);
            metrics.Registration("ok");
            await transaction.SendAsync(transaction.CreateResponse(200, "OK", SipStack.NewTag()).ToArray(), 200);
            return;
        }

        foreach (var contact in contacts)
        {
            var requested = int.TryParse(contact.Parameter("expires"), NumberStyles.None, CultureInfo.InvariantCulture, out var ce) ? ce : headerExpires ?? 3600;
            if (requested > 0 && requested < options.MinRegistrationSeconds)
            {
                await transaction.SendAsync(transaction.CreateResponse(423, "Interval Too Brief", SipStack.NewTag())
                    .Add("Min-Expires", options.MinRegistrationSeconds.ToString(CultureInfo.InvariantCulture)).ToArray(), 423);
                return;
            }

            var granted = Math.Min(requested, options.MaxRegistrationSeconds);
            var q = float.TryParse(contact.Parameter("q"), NumberStyles.Float, CultureInfo.InvariantCulture, out var qv) ? qv : 1.0f;
            var binding = new ContactBinding(contact.Uri.ToString(), transaction.Source.ToString(), InstanceName, request.CallId, request.CSeq, now.AddSeconds(granted), q);
            await bindings.UpsertAsync(user, binding, CancellationToken.None);
        }

        var response = transaction.CreateResponse(200, "OK", SipStack.NewTag());
        foreach (var binding in await bindings.GetAsync(user, now, CancellationToken.None))
        {
            var left = Math.Max(0, (int)(binding.ExpiresAt - now).TotalSeconds);
            response.Add(SipHeaderNames.Contact, $"<{binding.ContactUri}>;expires={left.ToString(CultureInfo.InvariantCulture)}");
        }

        response.Add("Date", now.ToString("r", CultureInfo.InvariantCulture));
        metrics.Registration("ok");
        await transaction.SendAsync(response.ToArray(), 200);
    }

    private Task ChallengeAsync(ServerTransaction transaction, bool stale)
    {
        var response = transaction.CreateResponse(401, "Unauthorized", SipStack.NewTag());
        foreach (var challenge in authenticator.Challenges(stale, options.RegistrarAlgorithms.Length > 0 ? options.RegistrarAlgorithms : DigestAuthenticator.DefaultAlgorithms))
        {
            response.Add(SipHeaderNames.WwwAuthenticate, challenge);
        }

        return transaction.SendAsync(response.ToArray(), 401);
    }

    [LoggerMessage(EventId = 3401, Level = LogLevel.Warning, Message = "REGISTER for {User} from {Source} failed authentication")]
    private static partial void LogRejected(ILogger logger, string user, string source);
}
