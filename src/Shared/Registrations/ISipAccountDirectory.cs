namespace Calltracking.Shared.Registrations;

/// <summary>Finds <c>sip_trunk</c> accounts for the registrar's digest authentication.</summary>
public interface ISipAccountDirectory
{
    ValueTask<SipAccount?> FindAsync(string user, CancellationToken cancellationToken);
}
