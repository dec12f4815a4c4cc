namespace Calltracking.Edge.IntegrationTests.Routing;

/// <summary>
/// SIPp scenarios for an answered call whose session is changed mid-call: the carrier re-INVITEs with a new offer,
/// the PBX UPDATEs with another. Every SDP carries its own session name (<c>s=</c>) so each side can check, with a
/// failing regexp, that it received the body the other side sent. <c>-key number</c>/<c>-key caller</c> fill the call.
/// </summary>
internal static class InDialogScenarios
{
    public const string CarrierReInviteSession = "reinvite-offer-from-carrier";
    public const string PbxReInviteSession = "reinvite-answer-from-pbx";
    public const string PbxUpdateSession = "update-offer-from-pbx";
    public const string CarrierUpdateSession = "update-answer-from-carrier";

    /// <summary>
    /// The carrier: INVITE, 200, ACK; re-INVITE with a new offer (PCMU on port 40000, sendonly), 200 with the PBX's
    /// answer, ACK; then it answers the PBX's UPDATE with 200 and SDP; then BYE.
    /// </summary>
    public const string Carrier = """
        <?xml version="1.0" encoding="ISO-8859-1" ?>
        <scenario name="carrier re-INVITE and UPDATE">
          <send retrans="500">
            <![CDATA[

              INVITE sip:[number]@[remote_ip]:[remote_port] SIP/2.0
              Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
              From: "Caller" <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]CT[call_number]
              To: <sip:[number]@[remote_ip]:[remote_port]>
              Call-ID: [call_id]
              CSeq: 1 INVITE
              Contact: <sip:[caller]@[local_ip]:[local_port]>
              Max-Forwards: 70
              Content-Type: application/sdp
              Content-Length: [len]

              v=0
              o=carrier 1 1 IN IP4 [local_ip]
              s=initial-offer-from-carrier
              c=IN IP4 [media_ip]
              t=0 0
              m=audio [media_port] RTP/AVP 8 101
              a=rtpmap:8 PCMA/8000
              a=rtpmap:101 telephone-event/8000

            ]]>
          </send>
          <recv response="100" optional="true"/>
          <recv response="180" optional="true"/>
          <recv response="200" rrs="true"/>
          <send>
            <![CDATA[

              ACK [next_url] SIP/2.0
              Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
              From: "Caller" <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]CT[call_number]
              To: <sip:[number]@[remote_ip]:[remote_port]>[peer_tag_param]
              Call-ID: [call_id]
              CSeq: 1 ACK
              Max-Forwards: 70
              Content-Length: 0

            ]]>
          </send>
          <pause milliseconds="300"/>
          <send retrans="500">
            <![CDATA[

              INVITE [next_url] SIP/2.0
              Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
              From: "Caller" <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]CT[call_number]
              To: <sip:[number]@[remote_ip]:[remote_port]>[peer_tag_param]
              Call-ID: [call_id]
              CSeq: 2 INVITE
              Contact: <sip:[caller]@[local_ip]:[local_port]>
              Max-Forwards: 70
              Content-Type: application/sdp
              Content-Length: [len]

              v=0
              o=carrier 1 2 IN IP4 [local_ip]
              s=reinvite-offer-from-carrier
              c=IN IP4 [media_ip]
              t=0 0
              m=audio 40000 RTP/AVP 0
              a=rtpmap:0 PCMU/8000
              a=sendonly

            ]]>
          </send>
          <recv response="100" optional="true"/>
          <recv response="200">
            <action>
              <ereg regexp="s=reinvite-answer-from-pbx" search_in="body" check_it="true" assign_to="reinvite_answer"/>
              <ereg regexp="application/sdp" search_in="hdr" header="Content-Type:" check_it="true" assign_to="reinvite_type"/>
              <ereg regexp="2 INVITE" search_in="hdr" header="CSeq:" check_it="true" assign_to="reinvite_cseq"/>
            </action>
          </recv>
          <send>
            <![CDATA[

              ACK [next_url] SIP/2.0
              Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
              From: "Caller" <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]CT[call_number]
              To: <sip:[number]@[remote_ip]:[remote_port]>[peer_tag_param]
              Call-ID: [call_id]
              CSeq: 2 ACK
              Max-Forwards: 70
              Content-Length: 0

            ]]>
          </send>
          <recv request="UPDATE">
            <action>
              <ereg regexp="s=update-offer-from-pbx" search_in="body" check_it="true" assign_to="update_offer"/>
            </action>
          </recv>
          <send>
            <![CDATA[

              SIP/2.0 200 OK
              [last_Via:]
              [last_From:]
              [last_To:]
              [last_Call-ID:]
              [last_CSeq:]
              Contact: <sip:[caller]@[local_ip]:[local_port]>
              Content-Type: application/sdp
              Content-Length: [len]

              v=0
              o=carrier 1 3 IN IP4 [local_ip]
              s=update-answer-from-carrier
              c=IN IP4 [media_ip]
              t=0 0
              m=audio 40000 RTP/AVP 0
              a=rtpmap:0 PCMU/8000
              a=recvonly

            ]]>
          </send>
          <pause milliseconds="300"/>
          <send retrans="500">
            <![CDATA[

              BYE [next_url] SIP/2.0
              Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
              From: "Caller" <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]CT[call_number]
              To: <sip:[number]@[remote_ip]:[remote_port]>[peer_tag_param]
              Call-ID: [call_id]
              CSeq: 3 BYE
              Max-Forwards: 70
              Content-Length: 0

            ]]>
          </send>
          <recv response="200"/>
          <Reference variables="reinvite_answer,reinvite_type,reinvite_cseq,update_offer"/>
        </scenario>
        """;

    /// <summary>The carrier as in <see cref="Carrier"/> without the PBX's UPDATE: INVITE, ACK, re-INVITE, ACK, BYE.</summary>
    public static readonly string CarrierWithoutUpdate = string.Concat(
        Carrier.AsSpan(0, Carrier.IndexOf("<recv request=\"UPDATE\">", StringComparison.Ordinal)),
        Carrier.AsSpan(Carrier.IndexOf("</send>", Carrier.IndexOf("<recv request=\"UPDATE\">", StringComparison.Ordinal), StringComparison.Ordinal) + "</send>".Length))
        .Replace(",update_offer\"", "\"", StringComparison.Ordinal);

    /// <summary>
    /// The PBX: answers the INVITE; takes the re-INVITE (its body must be the carrier's new offer) and answers 200
    /// with SDP, gets the ACK; sends an UPDATE with a new offer to the edge's Contact and needs a 200 carrying the
    /// carrier's answer; then answers the BYE.
    /// </summary>
    public const string Pbx = """
        <?xml version="1.0" encoding="ISO-8859-1" ?>
        <scenario name="pbx takes re-INVITE, sends UPDATE">
          <recv request="INVITE" crlf="true">
            <action>
              <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="edge_from"/>
              <ereg regexp="sip:[^>]*" search_in="hdr" header="Contact:" check_it="true" assign_to="edge_contact"/>
            </action>
          </recv>
          <send>
            <![CDATA[

              SIP/2.0 180 Ringing
              [last_Via:]
              [last_From:]
              [last_To:];tag=[pid]PBX[call_number]
              [last_Call-ID:]
              [last_CSeq:]
              Contact: <sip:pbx@[local_ip]:[local_port];transport=[transport]>
              Content-Length: 0

            ]]>
          </send>
          <send retrans="500">
            <![CDATA[

              SIP/2.0 200 OK
              [last_Via:]
              [last_From:]
              [last_To:];tag=[pid]PBX[call_number]
              [last_Call-ID:]
              [last_CSeq:]
              Contact: <sip:pbx@[local_ip]:[local_port];transport=[transport]>
              Content-Type: application/sdp
              Content-Length: [len]

              v=0
              o=pbx 1 1 IN IP4 [local_ip]
              s=initial-answer-from-pbx
              c=IN IP4 [media_ip]
              t=0 0
              m=audio [media_port] RTP/AVP 8
              a=rtpmap:8 PCMA/8000

            ]]>
          </send>
          <recv request="ACK" crlf="true"/>
          <recv request="INVITE">
            <action>
              <ereg regexp="s=reinvite-offer-from-carrier" search_in="body" check_it="true" assign_to="reinvite_offer"/>
              <ereg regexp="m=audio [0-9]+ RTP/AVP 0" search_in="body" check_it="true" assign_to="reinvite_media"/>
              <ereg regexp="application/sdp" search_in="hdr" header="Content-Type:" check_it="true" assign_to="reinvite_type"/>
            </action>
          </recv>
          <send retrans="500">
            <![CDATA[

              SIP/2.0 200 OK
              [last_Via:]
              [last_From:]
              [last_To:]
              [last_Call-ID:]
              [last_CSeq:]
              Contact: <sip:pbx@[local_ip]:[local_port];transport=[transport]>
              Content-Type: application/sdp
              Content-Length: [len]

              v=0
              o=pbx 1 2 IN IP4 [local_ip]
              s=reinvite-answer-from-pbx
              c=IN IP4 [media_ip]
              t=0 0
              m=audio 41000 RTP/AVP 0
              a=rtpmap:0 PCMU/8000
              a=recvonly

            ]]>
          </send>
          <recv request="ACK" crlf="true"/>
          <pause milliseconds="300"/>
          <send retrans="500">
            <![CDATA[

              UPDATE [$edge_contact] SIP/2.0
              Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
              From: <sip:pbx@[local_ip]:[local_port]>;tag=[pid]PBX[call_number]
              To: [$edge_from]
              Call-ID: [call_id]
              CSeq: 5 UPDATE
              Contact: <sip:pbx@[local_ip]:[local_port];transport=[transport]>
              Max-Forwards: 70
              Content-Type: application/sdp
              Content-Length: [len]

              v=0
              o=pbx 1 3 IN IP4 [local_ip]
              s=update-offer-from-pbx
              c=IN IP4 [media_ip]
              t=0 0
              m=audio 41000 RTP/AVP 0
              a=rtpmap:0 PCMU/8000
              a=sendonly

            ]]>
          </send>
          <recv response="200">
            <action>
              <ereg regexp="s=update-answer-from-carrier" search_in="body" check_it="true" assign_to="update_answer"/>
              <ereg regexp="5 UPDATE" search_in="hdr" header="CSeq:" check_it="true" assign_to="update_cseq"/>
            </action>
          </recv>
          <recv request="BYE"/>
          <send>
            <![CDATA[

              SIP/2.0 200 OK
              [last_Via:]
              [last_From:]
              [last_To:]
              [last_Call-ID:]
              [last_CSeq:]
              Content-Length: 0

            ]]>
          </send>
          <Reference variables="reinvite_offer,reinvite_media,reinvite_type,update_answer,update_cseq"/>
        </scenario>
        """;
}
