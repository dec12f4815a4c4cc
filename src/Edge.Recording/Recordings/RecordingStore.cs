using Dapper;
using Npgsql;

namespace Calltracking.Edge.Recording.Recordings;

/// <summary>The recording columns of call records, and what serving a file needs to know.</summary>
public sealed class RecordingStore(NpgsqlDataSource dataSource)
{
    /// <summary>Marks a call's recording ready; false when the call's record is not in PostgreSQL yet.</summary>
    public async Task<bool> MarkReadyAsync(Guid callId, string relativePath, double seconds, string? note, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE calls SET recording_state = 'ready', recording_path = @relativePath, recording_seconds = @seconds, recording_note = @note
            WHERE id = @callId
            """,
            new { callId, relativePath, seconds = Math.Round((decimal)seconds, 2), note }, cancellationToken: cancellationToken));
        return rows == 1;
    }

    /// <summary>
    /// The ready recording of a call, and whether its project forbids listening by link. With a project, only a call
    /// of that project is found; without one (a signed link names the call alone), any.
    /// </summary>
    public async Task<RecordingFile?> FindAsync(Guid callId, long? projectId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<RecordingFile>(new CommandDefinition(
            """
            SELECT c.id AS CallId, c.project_id AS ProjectId, c.recording_path AS RelativePath,
                   coalesce((p.settings->>'forbid_listening_by_link') IN ('true', '1'), false) AS ForbidLinks
            FROM calls c JOIN projects p ON p.id = c.project_id
            WHERE c.id = @callId AND c.project_id = coalesce(@projectId::bigint, c.project_id) AND c.recording_state = 'ready'
            """,
            new { callId, projectId }, cancellationToken: cancellationToken));
    }
}

public sealed record RecordingFile(Guid CallId, long ProjectId, string RelativePath, bool ForbidLinks);
