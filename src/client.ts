/**
 * What a TypeScript client of vertexchat may import (`import { … } from "vertexchat/client"`): the generated
 * contract and the ResponseBuilder that rebuilds a whole response from stream events. Everything else in `src/` is
 * the gateway's own and may change without notice.
 */
export * from "../gen/vertexchat/v1/chat_service_pb.ts";
export * from "../gen/vertexchat/v1/content_pb.ts";
export * from "../gen/vertexchat/v1/options_pb.ts";
export * from "../gen/vertexchat/v1/tools_pb.ts";
export { ResponseBuilder } from "./translate/response-builder.ts";
