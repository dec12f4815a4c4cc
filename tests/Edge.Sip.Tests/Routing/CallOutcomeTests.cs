using Calltracking.Edge.Sip.Routing;
using Calltracking.Shared.Calls;

namespace Calltracking.Edge.Sip.Tests.Routing;

public sealed class CallOutcomeTests
{
    [Theory]
    [InlineData(200, CallStatus.ANSWER)]
    [InlineData(486, CallStatus.BUSY)]
    [InlineData(600, CallStatus.BUSY)]
    [InlineData(408, CallStatus.NOANSWER)]
    [InlineData(480, CallStatus.NOANSWER)]
    [InlineData(487, CallStatus.CANCEL)]
    [InlineData(404, CallStatus.CHANUNAVAIL)]
    [InlineData(410, CallStatus.CHANUNAVAIL)]
    [InlineData(484, CallStatus.CHANUNAVAIL)]
    [InlineData(604, CallStatus.CHANUNAVAIL)]
    [InlineData(603, CallStatus.DONTCALL)]
    [InlineData(503, CallStatus.CONGESTION)]
    [InlineData(500, CallStatus.CONGESTION)]
    [InlineData(403, CallStatus.CHANUNAVAIL)]
    public void Final_responses_map_to_api_statuses(int code, CallStatus expected) =>
        Assert.Equal(expected, CallOutcome.FromFinalResponse(code));

    [Theory]
    [InlineData(503, true)]
    [InlineData(408, true)]
    [InlineData(486, false)]
    [InlineData(404, false)]
    [InlineData(603, false)]
    public void Only_gateway_failures_fail_over(int code, bool failover) =>
        Assert.Equal(failover, CallOutcome.ShouldFailOver(code));

    [Fact]
    public void Ring_timeout_is_no_answer() => Assert.Equal(CallStatus.NOANSWER, CallOutcome.RingTimeout);
}
