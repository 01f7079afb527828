/** The text of `webpubsub.proto` beside this file, embedded so the built service reads no file (a test keeps them identical). */
export const WEBPUBSUB_PROTO = `// The protobuf subprotocols of Web PubSub (protobuf.webpubsub.azure.v1 and
// protobuf.reliable.webpubsub.azure.v1), as summarized in PROTOCOL.md §11. The local
// service builds its codec from this file with protobufjs (protobuf-codec.ts); the
// client SDK has its own hand-written codec (src/protobuf/), so each checks the other.
// protobuf-schema.ts embeds this text so the built service needs no file at run time;
// a test keeps the two identical.
syntax = "proto3";

import "google/protobuf/any.proto";

message UpstreamMessage {
  oneof message {
    SendToGroupMessage send_to_group_message = 1;
    EventMessage event_message = 5;
    JoinGroupMessage join_group_message = 6;
    LeaveGroupMessage leave_group_message = 7;
    SequenceAckMessage sequence_ack_message = 8;
    PingMessage ping_message = 9;
    StreamDataMessage stream_data_message = 13;
    StreamEndMessage stream_end_message = 14;
  }

  message SendToGroupMessage {
    string group = 1;
    optional uint64 ack_id = 2;
    MessageData data = 3;
    optional bool no_echo = 4;
    StreamStartInfo stream = 7;
  }

  message EventMessage {
    string event = 1;
    MessageData data = 2;
    optional uint64 ack_id = 3;
  }

  message JoinGroupMessage {
    string group = 1;
    optional uint64 ack_id = 2;
  }

  message LeaveGroupMessage {
    string group = 1;
    optional uint64 ack_id = 2;
  }

  message SequenceAckMessage {
    uint64 sequence_id = 1;
  }

  message PingMessage {}

  message StreamStartInfo {
    string stream_id = 1;
    optional uint32 idle_timeout_ms = 2;
  }

  message StreamDataMessage {
    string stream_id = 1;
    optional uint64 stream_sequence_id = 2;
    MessageData data = 3;
  }

  message StreamEndMessage {
    string stream_id = 1;
    StreamError error = 2;

    message StreamError {
      string message = 1;
      string user_error_code = 2;
    }
  }
}

message DownstreamMessage {
  oneof message {
    AckMessage ack_message = 1;
    DataMessage data_message = 2;
    SystemMessage system_message = 3;
    PongMessage pong_message = 4;
    StreamAckMessage stream_ack_message = 6;
    StreamNackMessage stream_nack_message = 7;
    StreamClosedMessage stream_closed_message = 8;
  }

  message ErrorMessage {
    string name = 1;
    string message = 2;
  }

  message AckMessage {
    uint64 ack_id = 1;
    bool success = 2;
    optional ErrorMessage error = 3;
  }

  message DataMessage {
    string from = 1;
    optional string group = 2;
    MessageData data = 3;
    uint64 sequence_id = 4;
    StreamInfo stream = 6;
  }

  message StreamInfo {
    string stream_id = 1;
    uint64 stream_sequence_id = 2;
    bool end_of_stream = 3;
    StreamInfoError error = 4;

    message StreamInfoError {
      string name = 1;
      string message = 2;
      string user_error_code = 3;
    }
  }

  message SystemMessage {
    oneof message {
      ConnectedMessage connected_message = 1;
      DisconnectedMessage disconnected_message = 2;
    }

    message ConnectedMessage {
      string connection_id = 1;
      string user_id = 2;
      string reconnection_token = 3;
    }

    message DisconnectedMessage {
      string reason = 2;
    }
  }

  message PongMessage {}

  message StreamAckMessage {
    string stream_id = 1;
    uint64 expected_sequence_id = 2;
  }

  message StreamNackMessage {
    string stream_id = 1;
    string name = 2;
    string message = 3;
    uint64 expected_sequence_id = 4;
  }

  message StreamClosedMessage {
    string stream_id = 1;
    ErrorMessage error = 2;
  }
}

message MessageData {
  oneof data {
    string text_data = 1;
    bytes binary_data = 2;
    google.protobuf.Any protobuf_data = 3;
    string json_data = 4;
  }
}
`;
