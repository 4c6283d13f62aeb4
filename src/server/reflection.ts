/**
 * gRPC server reflection, v1 and v1alpha (same messages, two packages), over the files of the services served.
 * Each file answer carries the file and those of its transitive dependencies not yet sent on that stream.
 */
import { create, createFileRegistry, type DescFile, type FileRegistry, toBinary } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  file_google_protobuf_descriptor,
  file_google_protobuf_duration,
  file_google_protobuf_struct,
} from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.ts";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.ts";

const NOT_FOUND = Code.NotFound;

/** A request/response pair of either version, which share every field. */
type Request = v1.ServerReflectionRequest | v1alpha.ServerReflectionRequest;

export function createReflectionServices(
  files: DescFile[],
  serviceNames: string[],
): { v1: ServiceImpl<typeof v1.ServerReflection>; v1alpha: ServiceImpl<typeof v1alpha.ServerReflection> } {
  // The well-known types are listed too: a generated file does not always list the ones it imports.
  const all = withDependencies([
    file_google_protobuf_descriptor,
    file_google_protobuf_duration,
    file_google_protobuf_struct,
    ...files,
  ]);
  // DescFile.name has no ".proto"; imports and reflection requests do.
  const byName = new Map(all.map((f) => [f.proto.name, f]));
  const registry = createFileRegistry(...all.map((f) => createFileRegistry(f.proto, (name) => byName.get(name))));
  const encoded = new Map<string, Uint8Array>();
  const bytesOf = (file: DescFile) => {
    let bytes = encoded.get(file.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      encoded.set(file.name, bytes);
    }
    return bytes;
  };

  const index: ReflectionIndex = { registry, bytesOf, serviceNames };
  return {
    v1: {
      async *serverReflectionInfo(requests) {
        const sent = new Set<string>();
        for await (const req of requests) {
          yield create(v1.ServerReflectionResponseSchema, {
            validHost: req.host,
            originalRequest: req,
            messageResponse: answer(index, req, sent),
          });
        }
      },
    },
    v1alpha: {
      async *serverReflectionInfo(requests) {
        const sent = new Set<string>();
        for await (const req of requests) {
          yield create(v1alpha.ServerReflectionResponseSchema, {
            validHost: req.host,
            originalRequest: req,
            messageResponse: answer(index, req, sent),
          });
        }
      },
    },
  };
}

interface ReflectionIndex {
  registry: FileRegistry;
  bytesOf: (file: DescFile) => Uint8Array;
  serviceNames: string[];
}

/** The answer to one reflection request; `sent` holds the files this stream already sent. */
function answer(index: ReflectionIndex, req: Request, sent: Set<string>) {
  const { registry, bytesOf, serviceNames } = index;
  const files = (file: DescFile | undefined, what: string) => {
    if (!file)
      return { case: "errorResponse" as const, value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` } };
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (sent.has(f.name)) return;
      sent.add(f.name);
      out.push(bytesOf(f));
      for (const dep of f.dependencies) visit(dep);
    };
    // The file asked for is always sent, even if it went earlier on this stream.
    sent.delete(file.name);
    visit(file);
    return { case: "fileDescriptorResponse" as const, value: { fileDescriptorProto: out } };
  };
  const q = req.messageRequest;
  switch (q.case) {
    case "fileByFilename":
      return files(registry.getFile(q.value.replace(/\.proto$/, "")) ?? registry.getFile(q.value), `file ${q.value}`);
    case "fileContainingSymbol":
      return files(fileOfSymbol(registry, q.value), `symbol ${q.value}`);
    case "fileContainingExtension": {
      const message = registry.getMessage(q.value.containingType);
      const extension = message ? registry.getExtensionFor(message, q.value.extensionNumber) : undefined;
      return files(extension?.file, `extension ${q.value.extensionNumber} of ${q.value.containingType}`);
    }
    case "allExtensionNumbersOfType": {
      const numbers: number[] = [];
      for (const desc of registry) {
        if (desc.kind === "extension" && desc.extendee.typeName === q.value) numbers.push(desc.number);
      }
      if (!registry.getMessage(q.value)) {
        return {
          case: "errorResponse" as const,
          value: { errorCode: NOT_FOUND, errorMessage: `type ${q.value} not found` },
        };
      }
      return {
        case: "allExtensionNumbersResponse" as const,
        value: { baseTypeName: q.value, extensionNumber: numbers },
      };
    }
    case "listServices":
      return { case: "listServicesResponse" as const, value: { service: serviceNames.map((name) => ({ name })) } };
    default:
      return {
        case: "errorResponse" as const,
        value: { errorCode: Code.InvalidArgument, errorMessage: "empty reflection request" },
      };
  }
}

function withDependencies(files: DescFile[]): DescFile[] {
  const all = new Map<string, DescFile>();
  const visit = (f: DescFile) => {
    if (all.has(f.name)) return;
    for (const dep of f.dependencies) visit(dep);
    all.set(f.name, f);
  };
  for (const f of files) visit(f);
  return [...all.values()];
}

/** The file declaring a message, enum, service, extension, or a method or field of one. */
function fileOfSymbol(registry: FileRegistry, symbol: string): DescFile | undefined {
  const direct = registry.get(symbol);
  if (direct) return direct.file;
  const parent = symbol.slice(0, symbol.lastIndexOf("."));
  const member = symbol.slice(symbol.lastIndexOf(".") + 1);
  const service = registry.getService(parent);
  if (service?.methods.some((m) => m.name === member)) return service.file;
  const message = registry.getMessage(parent);
  if (message?.fields.some((f) => f.name === member) || message?.oneofs.some((o) => o.name === member))
    return message.file;
  return undefined;
}
