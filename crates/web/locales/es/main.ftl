# El marco de cada página
frame-skip = Saltar al contenido
frame-nav = Principal
frame-footer = Campus Hub
frame-api = API
nav-home = Inicio
nav-courses = Cursos
nav-sign-in = Iniciar sesión
nav-sign-out = Cerrar sesión

# Formularios
form-errors-title = Hay un problema
field-school = Escuela
field-school-hint = El nombre corto de la dirección de tu escuela, como hill-valley.
field-email = Correo electrónico
field-password = Contraseña
field-new-password = Contraseña
field-new-password-hint = Al menos 10 caracteres. Varias palabras sin relación forman una contraseña fuerte.
field-totp-code = Código de tu aplicación de autenticación
field-totp-code-hint = Seis dígitos, o uno de tus códigos de recuperación.
field-join-code = Código de acceso
field-join-code-hint = Tu escuela te da este código.
field-display-name = Tu nombre
field-school-name = Nombre de la escuela
field-slug = Dirección de la escuela
field-slug-hint = Letras minúsculas, números y guiones, como hill-valley. Se escribe para iniciar sesión.
field-enrollment-code = Código de inscripción
field-required = Completa este campo.
field-too_long = Es demasiado largo.
field-too_short = Es demasiado corto.
field-too_weak = Elige una contraseña más fuerte: añade algunas palabras más.
field-invalid_email = Escribe un correo como nombre@ejemplo.org.
field-invalid_slug = Usa solo letras minúsculas, números y guiones.
field-invalid = No es válido.
field-reserved = Este nombre está reservado; elige otro.
field-invalid_characters = Contiene caracteres no permitidos: usa letras, números y signos de puntuación normales.
field-out_of_range = Este número está fuera de lo permitido.
field-too_many = Hay demasiados.
field-empty = Está vacío.
field-invalid_currency = Usa un código de moneda de tres letras como EUR o USD.
field-malformed_csv = No es un archivo CSV como los que guarda una hoja de cálculo: revisa sus comillas y columnas.
field-missing_column = Falta una columna que el archivo necesita; mira las columnas indicadas arriba.
field-wrong_code = Ese código no es correcto. Revísalo e inténtalo de nuevo.
field-unknown_school = No encontramos ninguna escuela con esta dirección.
field-wrong_join_code = Ese código de acceso no es correcto. Pídeselo a tu escuela.
problem-email_taken = Ese correo ya tiene una cuenta.
problem-slug_taken = Otra escuela ya usa esta dirección; elige otra.
problem-too-many-attempts = { $seconds ->
    [one] Demasiados intentos. Espera un segundo e inténtalo de nuevo.
   *[other] Demasiados intentos. Espera { $seconds } segundos e inténtalo de nuevo.
}
problem-rate_limited = Demasiados intentos. Espera un momento e inténtalo de nuevo.
problem-course_archived = Este curso está archivado y no admite a nadie más.
problem-payment_required = Es un curso de pago: pide a un profesor que te añada.

# Errores
error-go-home = Ir a tu página de inicio
error-not-found-heading = Página no encontrada
error-not-found-text = No hay nada en esta dirección. Puede que se haya movido o que el enlace esté mal escrito.
error-forbidden-heading = No puedes abrir esto
error-forbidden-text = Tu cuenta no lo permite. Pregunta a tu profesor o al administrador de tu escuela si lo necesitas.
error-refused-heading = No funcionó
error-broken-heading = Algo salió mal
error-broken-text = Campus Hub no pudo hacerlo ahora. Inténtalo de nuevo en un momento.

# Iniciar sesión
sign-in-title = Iniciar sesión
sign-in-submit = Entrar
sign-in-second-factor = Tu cuenta está protegida con un segundo paso. Escribe el código que muestra tu aplicación de autenticación.
sign-in-wrong = La escuela, el correo o la contraseña no son correctos.
sign-in-wrong-code = Ese código no es correcto. Los códigos cambian cada 30 segundos; prueba el más reciente.
sign-in-new-here = ¿Eres nuevo?
sign-in-register = Únete a tu escuela
sign-in-new-school = Registrar una escuela nueva

# Unirse a una escuela
register-title = Únete a tu escuela
register-intro = Crea tu cuenta de estudiante con el código de acceso de tu escuela.
register-submit = Crear mi cuenta
register-have-account = ¿Ya tienes una cuenta?
register-invitation-only = Esta escuela solo admite personas por invitación. Pide a tu escuela que te invite.
registered-title = Revisa tu correo
registered-text = Enviamos un mensaje a { $email }. Síguelo para continuar.

# Registrar una escuela
school-title = Registra tu escuela
school-intro = Crea tu escuela en Campus Hub y sé su primer administrador.
school-about-school = Tu escuela
school-about-admin = Tú, el administrador
school-submit = Crear la escuela

# Inicio
dashboard-title = Inicio
dashboard-hello = Hola, { $name }
dashboard-new-school = Tu escuela está lista. Comparte su código de acceso para que se unan los estudiantes y crea tu primer curso.
dashboard-continue = Continúa donde lo dejaste
dashboard-my-courses = Mis cursos
dashboard-no-courses = Todavía no estás inscrito en ningún curso.
dashboard-browse = Ver los cursos
dashboard-teaching = Cursos que imparto
dashboard-no-teaching = Aún no hay cursos: crea el primero.
dashboard-join-code = Código de acceso:
dashboard-join-link = Los estudiantes se unen en /register con la escuela { $slug } y este código.
dashboard-announcements = Anuncios
dashboard-no-announcements = Aún no hay anuncios.
progress-label = Progreso
progress-lessons = { $done ->
    [one] { $done } lección hecha
   *[other] { $done } lecciones hechas
}

dashboard-confirm-email = Confirma tu correo: sigue el enlace que te enviamos. Hasta entonces, los cursos no pueden encontrarte por tu correo.
dashboard-registration = Cómo se une la gente:
registration-open = cualquiera con la dirección de la escuela
registration-code = con el código de acceso
registration-invite = solo por invitación
lesson-has-video = Vídeo

field-time-zone-school = La de la escuela ({ $zone })
field-school-time-zone = Zona horaria de la escuela
field-school-time-zone-hint = Las fechas de entrega y las horas de las páginas están en ella, salvo que alguien elija la suya.

# Catálogo
catalogue-title = Cursos
catalogue-search-label = Buscar un curso
catalogue-search = Buscar
catalogue-subject = Materia
catalogue-grade = Grado
catalogue-sort = Orden
catalogue-sort-newest = Más recientes primero
catalogue-sort-oldest = Más antiguos primero
catalogue-sort-title = Por título
catalogue-apply = Mostrar cursos
catalogue-no-match = Ningún curso coincide con estos filtros.
catalogue-clear = Mostrar todos los cursos
catalogue-empty = Aún no hay cursos. Tus profesores no han publicado ninguno.
catalogue-empty-staff = Aún no hay cursos: crea el primero.
catalogue-results = Cursos encontrados
catalogue-more = Más cursos

# Un curso
course-draft = Borrador
course-yours = Tuyo
course-grade = Grado { $grade }
course-taught-by = Imparte
course-enroll = Inscribirme
course-your-progress = Tu progreso
course-completed = Completaste este curso el { $when }.
course-continue = Continuar: { $lesson }
course-outline = Temario
course-no-modules = Este curso aún no tiene lecciones.
course-locked = Termina primero el módulo anterior

# Una lección
lesson-done = Hecha
lesson-minutes = { $minutes ->
    [one] { $minutes } minuto
   *[other] { $minutes } minutos
}
lesson-video = Vídeo: { $lesson }
lesson-attachments = Adjuntos
lesson-nav = Lecciones
lesson-complete-next = Marcar como hecha y continuar
lesson-complete = Marcar como hecha

# Recuperar una cuenta
sign-in-forgot = ¿Olvidaste tu contraseña?
sign-in-done-reset = Tu nueva contraseña está lista. Inicia sesión con ella.
sign-in-done-invitation = Tu contraseña está lista y tu cuenta también. Inicia sesión.
forgot-title = Olvidé mi contraseña
forgot-intro = Dinos tu escuela y tu correo, y te enviaremos un enlace para elegir una contraseña nueva.
forgot-submit = Enviarme un enlace
forgot-sent = Si { $email } tiene una cuenta en esta escuela, le llegará un enlace para elegir una contraseña nueva. Funciona durante 30 minutos.
reset-title = Elige una contraseña nueva
reset-title-intro = Elige una contraseña nueva para tu cuenta. Se cerrarán todas tus sesiones abiertas.
invitation-title = Bienvenido a Campus Hub
invitation-title-intro = Te invitaron al Campus Hub de tu escuela. Elige una contraseña para terminar tu cuenta.
new-password-submit = Guardar mi contraseña
verify-title = Confirma tu correo
verify-intro = Confirma que esta dirección es tuya, para que tu escuela y tus cursos puedan escribirte.
verify-submit = Confirmar mi dirección
verified-title = Dirección confirmada
verified-text = Gracias: tu correo está confirmado.
problem-invalid_token = Este enlace ya no funciona: ya se usó o es demasiado antiguo. Pide uno nuevo.

# Mi cuenta
nav-account = Mi cuenta
account-title = Mi cuenta
profile-title = Perfil
profile-save = Guardar
profile-saved = Tu perfil está guardado.
field-bio = Sobre mí
field-language = Idioma
field-time-zone = Zona horaria
field-time-zone-hint = Las fechas y horas se muestran en ella.
field-invalid_locale = Elige un idioma de la lista.
field-unknown_time_zone = Elige una zona horaria de la lista.
language-browser = El idioma de mi navegador
language-en = English
language-es = Español
security-title = Seguridad
security-second-factor = Segundo paso al iniciar sesión
security-is-off = Para iniciar sesión solo se pide tu contraseña. Añade un segundo paso: un código de una aplicación de autenticación en tu teléfono.
security-is-on = Para iniciar sesión se pide un código de tu aplicación de autenticación. Para desactivarlo, escribe tu contraseña y un código actual.
security-set-up = Configurar el segundo paso
security-scan = Escanea este código con tu aplicación de autenticación (como Aegis, Google Authenticator o Microsoft Authenticator) y escribe los seis dígitos que muestra.
security-qr-label = Código QR para añadir Campus Hub a una aplicación de autenticación
security-or-type = O escribe esta clave en la aplicación:
security-turn-on = Activar
security-turn-off = Desactivar el segundo paso
security-recovery-codes = Tus códigos de recuperación. Guárdalos en un lugar seguro: cada uno te deja entrar una vez si pierdes el teléfono. Solo se muestran ahora.
security-recovery-codes-label = Códigos de recuperación
security-sessions = Dónde has iniciado sesión
security-sessions-intro = Cada fila es un navegador o una aplicación con sesión en tu cuenta. Cierra las que no reconozcas.
security-started = Inicio de sesión
security-last-active = Última actividad
security-actions = Acciones
security-end = Cerrar esa sesión
security-done-on = El segundo paso está activado.
security-done-off = El segundo paso está desactivado.
security-done-session = Esa sesión se cerró.
security-wrong-password = Esa contraseña no es correcta.
security-wrong-password-or-code = La contraseña o el código no son correctos.

# Crear un curso
dashboard-create-course = Crear un curso
course-new-title = Curso nuevo
course-new-submit = Crear el curso
field-course-title = Título
field-course-summary = Resumen
field-course-summary-hint = Una o dos frases para el catálogo.
field-subject = Materia
field-grade-level = Grado
field-tags = Etiquetas
field-tags-hint = Separadas por comas, como células, genética.
field-description = Descripción
field-markdown-hint = Markdown: **negrita**, *cursiva*, # títulos, - listas, [enlaces](https://example.org).
field-enrollment-mode = Quién puede inscribirse
enrollment-mode-open = Cualquiera de la escuela
enrollment-mode-code = Estudiantes con el código de inscripción del curso
enrollment-mode-closed = Solo quienes añadan los profesores
editor-title = Editar { $course }
editor-state = Estado
visibility-draft = Borrador: solo lo ven sus profesores y los administradores de la escuela.
visibility-published = Publicado: los estudiantes pueden encontrarlo e inscribirse.
visibility-archived = Archivado: sus miembros aún lo leen; nadie nuevo se une.
editor-publish = Publicar
editor-archive = Archivar
editor-duplicate = Duplicar para un nuevo periodo
editor-details = Detalles
editor-reorder-hint = Mueve módulos y lecciones con sus botones Subir y Bajar, o arrástralos.
editor-no-modules = Aún no hay módulos: añade el primero abajo.
editor-requires-previous = Se abre tras el anterior
editor-move-up = Subir
editor-move-down = Bajar
editor-add-lesson = Añadir una lección
editor-add-module = Añadir un módulo
field-module-title = Título del módulo
field-requires-previous = Los estudiantes terminan antes el módulo anterior
editor-done-saved = Los detalles están guardados.
editor-done-published = El curso está publicado.
editor-done-archived = El curso está archivado.
editor-done-duplicated = Esta es la copia nueva, un borrador. Cambia lo que necesite el nuevo periodo y publícala.
editor-done-module = El módulo está añadido.
editor-done-lesson = La lección está guardada.
editor-done-deleted = La lección está eliminada.
editor-done-reordered = El nuevo orden está guardado.
lesson-new-title = Lección nueva
lesson-edit-title = Editar { $lesson }
field-lesson-title = Título de la lección
field-lesson-body = Lección
field-video-url = Vídeo
field-video-url-hint = Un enlace de YouTube o Vimeo, que se muestra sobre la lección.
field-minutes = Minutos que lleva
field-required-lesson = Cuenta para completar el curso
field-published-lesson = Los estudiantes pueden verla
field-not_a_number = Escribe un número entero.
field-invalid_url = Escribe una dirección completa que empiece por https://.
lesson-preview = Vista previa
lesson-preview-empty = La vista previa muestra la lección como la verán los estudiantes.
lesson-delete = Eliminar esta lección
lesson-delete-warning = Los estudiantes pierden su progreso en ella. No se puede deshacer.
lesson-delete-confirm = Eliminar la lección

field-course-language = Idioma del curso
field-course-language-hint = Una etiqueta de idioma como en o es; en blanco si no importa.
field-public = Cualquiera de la escuela puede leer las lecciones, no solo sus miembros
field-attachments = Adjuntos
field-attachments-hint = Uno por línea: un nombre, una barra y la dirección, como Ficha | https://example.org/ficha.pdf
editor-module-settings = Renombrar o quitar
editor-delete-module = Quitar el módulo
editor-delete-module-warning = Sus lecciones se van con él, y el progreso registrado en ellas. No se puede deshacer.
editor-new-code = Nuevo código de inscripción
editor-done-code = El curso tiene un nuevo código de inscripción; el anterior ya no funciona.
editor-done-module-saved = El módulo está guardado.
editor-done-module-deleted = El módulo está quitado.
people-role-changed = El rol ha cambiado.
course-leave = Salir de este curso
course-done-left = Saliste del curso. Puedes volver a inscribirte mientras esté abierto.

# Llevar un curso
course-staff-nav = Herramientas del curso
course-edit = Editar el curso
course-people = Personas
course-class-progress = Progreso de la clase
announcement-new = Anuncio nuevo
announcement-post = Publicar el anuncio
field-announcement-title = Título
field-announcement-body = Mensaje
course-done-announced = El anuncio está publicado; los miembros del curso reciben aviso.
people-title = Personas en { $course }
people-count = { $count ->
    [one] { $count } persona
   *[other] { $count } personas
}
people-none = Aún no hay nadie en este curso.
people-role = Rol
people-joined = Se unió
people-remove = Quitar
people-enroll-list = Inscribir una clase
field-class-list = Correos o identificadores de usuario
field-class-list-hint = Uno por línea. Si alguna línea no es correcta, no se inscribe a nadie y se indica cada línea.
people-enroll = Inscribirlos
people-enrolled = { $count ->
    [one] { $count } persona inscrita.
   *[other] { $count } personas inscritas.
}
people-removed = Ya no está en el curso.
people-line = Línea { $entry }:
field-unknown_person = Nadie en la escuela tiene esta dirección o identificador.
field-unconfirmed_address = Esta cuenta se registró sola y no ha confirmado su dirección; añádela por su identificador si es la persona correcta.
course-role-teacher = Profesor
course-role-assistant = Ayudante
course-role-student = Estudiante
class-title = Progreso en { $course }
class-stuck-count = { $count ->
    [0] Ningún estudiante está atascado.
    [one] { $count } estudiante no ha hecho nada en una semana.
   *[other] { $count } estudiantes no han hecho nada en una semana.
}
class-show-all = Mostrar a todos
class-show-stuck = Mostrar solo a ellos
class-none = Aún no hay estudiantes.
class-next = Siguiente lección
class-stuck = Atascado

# Llevar una escuela
nav-admin = Escuela
nav-platform = Plataforma
admin-title = Administrar la escuela
admin-people = Personas
admin-import = Importar
admin-school = Ajustes
admin-audit = Registro de auditoría
admin-find-people = Buscar personas
admin-any = Cualquiera
admin-status = Estado
admin-active = Activa
admin-deactivated = Desactivada
admin-no-people = Nadie coincide.
admin-unconfirmed = Dirección sin confirmar
admin-role-of = Rol de { $name }
admin-change-role = Cambiar
admin-deactivate = Desactivar
admin-reactivate = Reactivar
admin-reset-2fa = Restablecer el segundo paso
admin-more = Más
admin-invite = Invitar a alguien
admin-send-invitation = Enviar la invitación
admin-done-invited = La invitación va en camino.
admin-done-role = El rol ha cambiado; se aplica de inmediato.
admin-done-deactivate = Está desactivada: se cerraron sus sesiones y no puede iniciar sesión.
admin-done-reactivate = Vuelve a estar activa.
admin-done-reset-2fa = Su segundo paso está restablecido; entra con su contraseña y puede configurarlo de nuevo.
admin-done-school = Los ajustes de la escuela están guardados.
admin-done-join-code = La escuela tiene un nuevo código de acceso; el anterior ya no funciona.
admin-new-join-code = Crear un nuevo código de acceso
admin-new-join-code-hint = Hazlo si el código llegó a personas de fuera de la escuela.
admin-audit-action = Acción
admin-audit-when = Cuándo
admin-audit-who = Quién
admin-audit-whom = A quién
admin-audit-detail = Detalle
admin-audit-empty = Aún no hay nada registrado.
role-student = Estudiante
role-teacher = Profesor
role-school_admin = Administrador de la escuela
role-super_admin = Superadministrador
field-email_taken = Esa dirección ya tiene una cuenta en esta escuela.
problem-forbidden = No tienes permiso para hacer eso.
import-intro = Añade a muchas personas a la vez desde una hoja de cálculo guardada como CSV: columnas email, display_name (o first_name y last_name), role y, si quieres, password y grade_level; un users.csv de OneRoster sirve tal cual. Primero se revisa el archivo; no se añade nada hasta que lo confirmes.
import-file = Archivo CSV
import-file-hint = Hasta 5 MB. Quien ya tiene cuenta se queda como está; quien no tiene contraseña recibe una invitación.
import-check = Revisar el archivo
import-now = Importar a estas personas
import-checked = El archivo está listo para importar
import-done = Importado
import-imported = { $count ->
    [one] { $count } persona por añadir.
   *[other] { $count } personas por añadir.
}
import-invited = { $count ->
    [one] { $count } recibe una invitación.
   *[other] { $count } reciben una invitación.
}
import-skipped = { $count ->
    [one] { $count } fila omitida:
   *[other] { $count } filas omitidas:
}
import-line = Línea
import-why = Motivo
import-skip-exists = Ya tiene una cuenta
import-skip-unconfirmed = Alguien registró esta dirección y no la ha confirmado: comprueba quién es
import-skip-inactive = Marcada como inactiva en el archivo
import-skip-unsupported_role = Los tutores y padres aún no tienen cuentas
import-choose-file = Elige un archivo CSV.
import-row-error = Línea { $line }, columna { $column }:
import-sending = Enviando el archivo
platform-title = Administrar la plataforma
platform-schools = Escuelas
platform-events = Eventos
platform-consumers = Consumidores
platform-subscription = Suscripción
platform-stream = Origen
platform-lag = En espera
platform-parked = Aparcados
platform-unknown = desconocido
platform-parked-events = Eventos aparcados
platform-none-parked = No hay eventos aparcados: todos los consumidores van al día.
platform-replay-all = Reprocesar todos los eventos aparcados
platform-replay = Reprocesar
platform-event = Evento
platform-error = Error
platform-attempts = { $count ->
    [one] { $count } intento
   *[other] { $count } intentos
}
platform-replayed = { $count } reprocesados.
platform-failed-again = { $count } fallaron de nuevo.
platform-remaining = { $count } siguen aparcados.

# Fechas
date-time = { $day } de { $month } de { $year }, { $time }
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre

## Grades
nav-grades = Notas
grades-title = Mis notas
grades-none = Todavía no eres estudiante de ningún curso.
grades-course-grade = Nota del curso hasta ahora
grades-nothing-yet = nada calificado todavía
grades-no-items = Todavía no hay nada que calificar en este curso.
grades-caption = Notas de { $course }
grades-item = Trabajo
grades-points = Puntos
grades-why = Cómo cuenta
grades-what-if = ¿Y si…?
grades-what-if-for = ¿Y si sacara estos puntos en { $item }?
grades-what-if-help = Escribe los puntos que esperas en los trabajos sin calificar y mira cuál sería tu nota del curso. No se guarda nada.
grades-what-if-button = Calcular mi nota
grades-what-if-result = Con esos puntos tu nota sería
grades-late = { $points } puntos menos por retraso
grades-status-counted = Cuenta
grades-status-dropped = Descartada (la más baja)
grades-status-excused = Exento
grades-status-ungraded = Sin calificar todavía
grades-status-missing = Falta: cuenta como 0
grades-status-overridden = Fijada por tu docente

## Gradebook
gradebook-title = Libro de calificaciones: { $course }
gradebook-download = Descargar como hoja de cálculo (CSV)
gradebook-no-students = Todavía no hay estudiantes en este curso.
course-gradebook = Calificaciones

## Assignments
course-assignments = Tareas
assignments-title = Tareas: { $course }
assignments-none = Todavía no hay tareas.
assignments-back = Todas las tareas
assignment-draft = Borrador
assignment-due = Entrega { $when }
assignment-cut-off = no se acepta nada después del { $when }
assignment-points = Puntos: { $points }
assignment-hand-in = Entregar
assignment-text = Tu respuesta
assignment-link = Un enlace a tu trabajo
assignment-file = Un archivo
assignment-file-hint = Suelta un archivo aquí o elige uno; como máximo { $megabytes } MB.
assignment-uploading = Subiendo
assignment-hand-in-button = Entregar
assignment-handed-in = Entregado. Tu docente lo verá.
assignment-my-submissions = Lo que entregaste
assignment-submissions = Entregas
assignment-no-submissions = Todavía no se ha entregado nada.
assignment-attempt = { $number ->
    [one] Primer intento
   *[other] Intento { $number }
}
assignment-days-late = { $days ->
    [one] 1 día de retraso
   *[other] { $days } días de retraso
}
submission-status-submitted = Entregado
submission-status-graded = Calificado
submission-status-returned = Devuelto para revisar

## Quizzes
course-quizzes = Cuestionarios
quizzes-none = Todavía no hay cuestionarios.
quiz-questions = { $count ->
    [one] 1 pregunta
   *[other] { $count } preguntas
}
quiz-time-limit = { $minutes ->
    [one] 1 minuto para responder
   *[other] { $minutes } minutos para responder
}
quiz-opens = abre el { $when }
quiz-closes = cierra el { $when }
quiz-attempts-allowed = { $count ->
    [one] 1 intento
   *[other] { $count } intentos
}
quiz-start = Empezar el cuestionario
quiz-continue = Volver a tu intento
quiz-attempts = Intentos
quiz-no-attempts = Todavía no hay intentos.
attempt-status-in_progress = En curso
attempt-status-needs_grading = Esperando la corrección de tu docente
attempt-status-graded = Corregido
attempt-question = Pregunta { $number }
attempt-deadline = El tiempo termina a las { $when }
attempt-minutes-left = { $minutes ->
    [one] queda 1 minuto aproximadamente
   *[other] quedan { $minutes } minutos
}
attempt-one-minute = Queda un minuto. Tus respuestas están guardadas; entrega cuando quieras.
attempt-time-up = Se acabó el tiempo. Se están corrigiendo tus respuestas guardadas.
attempt-true = Verdadero
attempt-false = Falso
attempt-your-answer = Tu respuesta
attempt-your-choice = tu elección
attempt-right-answer = respuesta correcta
attempt-correct = correcta
attempt-save = Guardar mis respuestas
attempt-submit = Entregar
attempt-saved = Tus respuestas están guardadas.
attempt-saving = Guardando…
attempt-autosaved = Guardado.
attempt-results-later = tus resultados se verán cuando tu docente los publique

## Grading
grading-title = Calificar: { $assignment }
grading-nav = Entregas
grading-previous = Anterior
grading-next = Siguiente
grading-place = Entrega { $place }
grading-keys = Teclado: j para la siguiente entrega, k para la anterior.
grading-work = El trabajo
grading-points = Puntos (de { $max })
grading-comment = Comentario para el estudiante
grading-save-next = Guardar la nota e ir a la siguiente
grading-return = Devolver para revisar
grading-grade = Calificar

## Question banks
course-question-banks = Bancos de preguntas
banks-title = Bancos de preguntas · { $course }
banks-intro = Escriba las preguntas una vez y úselas en los cuestionarios. Solo los docentes del curso ven un banco: contiene las respuestas.
banks-none = Todavía no hay bancos de preguntas.
banks-new = Crear un banco de preguntas
banks-create = Crear el banco
banks-back = Todos los bancos de preguntas
field-bank-title = Título del banco
bank-rename = Cambiar el nombre
bank-empty = Todavía no hay preguntas. Añada una abajo.
bank-key = Respuestas
bank-edit = Editar
bank-delete = Eliminar
bank-delete-confirm = Eliminar esta pregunta
bank-add = Añadir una pregunta
question-kind-single_choice = Opción única
question-kind-multiple_choice = Opción múltiple
question-kind-true_false = Verdadero o falso
question-kind-short_answer = Respuesta corta
question-kind-numeric = Número
question-kind-essay = Redacción
question-option-right = respuesta correcta
question-option-wrong = incorrecta
question-marked-by-hand = La corrige el docente.
question-new-title = Nueva pregunta
question-edit-title = Editar la pregunta
question-option = Opción { $number }
question-options-hint-one = Escriba las opciones y elija la correcta. Deje una fila en blanco para omitirla.
question-options-hint-many = Escriba las opciones y marque todas las correctas. Deje una fila en blanco para omitirla.
question-save = Guardar la pregunta
question-cancel = Volver al banco
field-question-prompt = Pregunta
field-question-points = Puntos
field-question-options = Opciones
field-partial-credit = Crédito parcial: cada opción correcta marcada suma su parte y cada incorrecta la resta
field-question-truth = La respuesta correcta
field-question-accepted = Respuestas aceptadas
field-question-accepted-hint = Una por línea. Al corregir no importan las mayúsculas ni los espacios.
field-question-answer = Respuesta correcta
field-question-tolerance = Tolerancia (±)
field-not_a_decimal = Escriba un número, por ejemplo 2,5.
field-no_correct_option = Marque la respuesta correcta.
field-one_correct_option = Una pregunta de opción única tiene una sola respuesta correcta; use opción múltiple para más.
field-no_accepted_answer = Escriba al menos una respuesta aceptada.
field-invalid_prompt = Escriba la pregunta (10.000 caracteres como máximo).

## Transcript
transcript-title = Expediente académico
transcript-link = Expediente
transcript-student = Estudiante
transcript-generated = Emitido
transcript-print = Imprimir
transcript-none = Todavía no hay cursos con calificaciones.
transcript-course = Curso
transcript-standing = Situación
transcript-items = Elementos calificados
transcript-percent = Nota
transcript-letter = Letra
transcript-in-progress = En curso
transcript-closed = Terminado
transcript-left = Dejó el curso

## Setting assignments
assignment-new = Nueva tarea
assignment-edit-title = Ajustes de la tarea
assignment-edit = Ajustes
assignment-create = Crear como borrador
assignment-save = Guardar los ajustes
assignment-saved = Ajustes guardados.
assignment-publish = Publicar
assignment-published = Publicada: los estudiantes del curso pueden verla.
assignment-draft-hint = Un borrador: solo los docentes del curso lo ven hasta que se publique.
assignment-release = Publicar las notas
assignment-released = Notas publicadas para los estudiantes.
assignment-dates = Fechas
assignment-dates-hint = En la zona horaria del centro. Déjelas en blanco si no hay.
assignment-late = Entregas tardías
assignment-late-hint = Puntos que se restan por día de retraso, hasta un mínimo. Déjelo en blanco para no penalizar.
field-assignment-title = Título
field-instructions = Instrucciones
field-max-points = Puntos
field-attempts-allowed = Intentos permitidos (0 sin límite)
field-available-from = Se abre
field-due-at = Fecha de entrega
field-cut-off-at = No se acepta nada después de
field-submission-types = Qué entregan los estudiantes
submission-type-text = Texto escrito en la página
submission-type-file = Un archivo
submission-type-link = Un enlace
field-file-types = Tipos de archivo permitidos
field-file-types-hint = Se comprueban por el contenido del archivo, no por su nombre.
field-max-file-mb = Archivo más grande (MB)
field-late-percent-per-day = Porcentaje que se resta por día de retraso
field-late-floor-percent = Nunca por debajo de (porcentaje de los puntos)
field-group-mode = Quién entrega
group-mode-individual = Cada estudiante
group-mode-group = Una entrega por grupo
field-release = Cuándo ven las notas los estudiantes
release-as-graded = En cuanto se califica cada una
release-manual = Cuando yo las publique
file-type-pdf = PDF
file-type-docx = Documento de Word (.docx)
file-type-odt = Texto OpenDocument (.odt)
file-type-pptx = Presentación de PowerPoint (.pptx)
file-type-xlsx = Hoja de cálculo de Excel (.xlsx)
file-type-png = Imagen PNG
file-type-jpeg = Imagen JPEG
file-type-text = Texto sin formato

## Setting quizzes
quiz-new = Nuevo cuestionario
quiz-edit-title = Ajustes del cuestionario
quiz-edit = Ajustes
quiz-publish = Publicar
quiz-release = Publicar los resultados
quiz-analysis = Cómo respondió la clase
quiz-saved = Ajustes guardados.
quiz-published = Publicado: los estudiantes del curso pueden hacerlo.
quiz-released = Resultados publicados para los estudiantes.
quiz-selection = Preguntas
quiz-selection-hint = Marque las preguntas que tendrá cada intento, o saque al azar un número de preguntas de un banco para cada intento.
quiz-draw-count = Preguntas al azar de este banco
quiz-draw-points = Puntos de cada pregunta al azar
field-quiz-title = Título
field-opens-at = Se abre
field-closes-at = Se cierra
field-time-limit-minutes = Tiempo límite en minutos (en blanco si no hay)
field-keep = Qué intento cuenta
keep-highest = El mejor
keep-latest = El último
keep-average = La media de todos
field-shuffle-options = Mezclar las opciones de cada pregunta en cada intento
field-quiz-release = Cuándo ven los estudiantes sus resultados y las respuestas
quiz-release-as-graded = En cuanto se corrige un intento
quiz-release-manual = Cuando yo los publique
analysis-title = Cómo respondió la clase · { $quiz }
analysis-none = Todavía no hay intentos terminados.
analysis-answered = { $count ->
    [one] 1 respuesta
   *[other] { $count } respuestas
}
analysis-correct = { $count ->
    [one] 1 correcta
   *[other] { $count } correctas
}
analysis-average = media { $points }
analysis-options = Cuántos eligieron cada opción
analysis-option = Opción
analysis-chosen = Elegida por

## Gradebook settings and one grade
gradebook-settings = Reglas de calificación
gradebook-settings-title = Reglas de calificación · { $course }
gradebook-settings-save = Guardar las reglas
gradebook-categories = Categorías
gradebook-categories-hint = Agrupe el trabajo (deberes, cuestionarios, exámenes) para ponderarlo y descartar las notas más bajas de cada estudiante. Deje un nombre en blanco para quitar la fila.
gradebook-item-categories = Categoría de cada elemento
gradebook-no-category = Sin categoría
gradebook-back = Volver al libro de calificaciones
gradebook-change-grade = Cambiar la nota de { $student } en { $item }
field-weighted = Ponderar las categorías (si no, la nota es el total de puntos obtenidos sobre el total posible)
field-ungraded = Trabajo sin nota
ungraded-exclude = Todavía no cuenta (la nota hasta ahora)
ungraded-zero = Cuenta como cero una vez vencido (la nota final)
field-category-name = Categoría
field-category-weight = Peso (%)
field-category-drop = Descartar las más bajas
field-letters = Notas con letra
field-letters-hint = Una por línea, de la más alta a la más baja: la letra y el porcentaje mínimo, por ejemplo «A 90».
field-invalid_letters = Escriba cada línea como una letra y un porcentaje, por ejemplo «B 80».
grade-history = Historial
grade-history-none = Todavía no hay nada registrado.
grade-change = Cambiar esta nota
grade-change-graded = Calificado
grade-change-overridden = Puesta por el docente
grade-change-override_removed = Se retiró la nota del docente
grade-change-excused = Exento
grade-change-unexcused = Ya no está exento
field-override-points = Puntos que se darán en su lugar
field-reason = Motivo
field-reason-hint = Queda en el historial de la nota; el estudiante lo ve.
grade-override = Poner estos puntos
grade-remove-override = Retirar mi nota
grade-excuse = Eximir al estudiante
grade-unexcuse = Dejar de eximir

## Extensions
groups = Grupos
groups-title = Grupos · { $assignment }
groups-hint = Da el mismo nombre de grupo a quienes trabajan juntos; déjalo vacío para un estudiante sin grupo. Un miembro entrega por todo el grupo.
groups-student = Estudiante
groups-group = Grupo
groups-save = Guardar los grupos
groups-saved = Grupos guardados.
groups-no-students = El curso aún no tiene estudiantes.
groups-not-group-work = En esta tarea cada estudiante entrega su propio trabajo; los grupos son para tareas en grupo.
extensions = Prórrogas
extensions-title = Prórrogas · { $assignment }
extensions-none = Ningún estudiante tiene fechas propias.
extensions-grant = Dar más tiempo a un estudiante
extensions-grant-button = Conceder la prórroga
extensions-remove = Retirar
extensions-choose = Elija un estudiante
field-extension-student = Estudiante
grading-feedback-files = Archivos devueltos
grading-no-feedback-files = Todavía no se ha devuelto ningún archivo.
grading-feedback-file = Un archivo para el estudiante (una copia corregida, una grabación)
grading-attach = Devolver el archivo

nav-notifications = Avisos
nav-unread = sin leer
notifications-title = Avisos
notifications-none = Nada nuevo. Aquí verás lo que pasa en tus cursos: tareas nuevas, notas, anuncios.
notifications-mark-all = Marcar todo como leído
notifications-unread = Sin leer
notifications-more = Avisos anteriores

## The calendar
nav-calendar = Calendario
calendar-title = Calendario
calendar-none = No hay entregas en tus cursos en los próximos 90 días.
calendar-caption = Entregas de los próximos 90 días
calendar-when = Fecha
calendar-what = Qué
calendar-course = Curso
calendar-status = Estado
calendar-opens = Abre
calendar-quiz = Cuestionario
calendar-assignment = Tarea
calendar-done = Entregado
calendar-to-do = Pendiente
calendar-subscribe = En tu aplicación de calendario
calendar-subscribe-text = Añade tus entregas a Google Calendar, Outlook o Apple Calendar: suscríbete a tu dirección privada («Desde URL» o «Suscribirse a calendario») y los cambios llegarán solos.
calendar-address = Tu dirección privada de calendario
calendar-private = Quien tenga esta dirección puede ver tus entregas. Si se difunde, crea una nueva: la anterior dejará de funcionar.
calendar-copy = Copiar
calendar-copied = Copiado
calendar-new-address = Crear una dirección nueva
calendar-stop = Dejar de usar esta dirección
calendar-get-address = Obtener una dirección privada de calendario

## What a person is told
notifications-choose = Elige de qué se te avisa
preferences-title = De qué se te avisa
preferences-saved = Guardado. Los avisos siguen tu elección desde ahora.
preferences-assignments = Trabajo nuevo
preferences-assignments-hint = Tareas y cuestionarios publicados en tus cursos.
preferences-submissions = Entregas
preferences-submissions-hint = Trabajos entregados en los cursos que impartes.
preferences-grades = Notas
preferences-grades-hint = Tus notas y resultados de cuestionarios, cuando se publican.
preferences-announcements = Anuncios
preferences-announcements-hint = Anuncios en tus cursos.
preferences-courses = Cursos
preferences-courses-hint = Una plaza en un curso que se te ha dado.
preferences-deadlines = Plazos
preferences-deadlines-hint = Trabajo que se entrega en menos de un día y aún no has entregado.
preferences-mentions = Menciones
preferences-mentions-hint = Alguien te nombró con @ en una publicación o un comentario que puedes ver.
preferences-intro = Elige, para cada tipo de novedad, si Campus Hub te la muestra y si te la envía por correo. El correo «en el momento» llega como mucho cada cuarto de hora y reúne lo que pasó entretanto.
preferences-in-app = Mostrarlo en Campus Hub
preferences-by-email = Por correo
preferences-email-immediately = En el momento
preferences-email-daily = En el resumen diario
preferences-email-off = Nunca
preferences-when = Cuándo puede llegar el correo
preferences-zone = Las horas son de tu zona horaria, { $zone }.
preferences-quiet = Retener el correo en horas de descanso
preferences-quiet-from = Descanso desde
preferences-quiet-until = Descanso hasta
preferences-digest-at = Resumen diario a las
preferences-digest-at-hint = Un correo al día con todo lo que está en el resumen diario.
field-invalid_time = Escribe una hora como 07:30.
unsubscribe-title = Dejar de recibir estos correos
unsubscribe-lead = ¿Dejar de recibir correos sobre: { $topics }?
unsubscribe-explain = Seguirás viéndolos en Campus Hub. Puedes volver a activar el correo en tus preferencias de avisos.
unsubscribe-button = Dejar de recibirlos
unsubscribe-done = Hecho. Ya no recibirás correos sobre: { $topics }.
unsubscribe-already = Los correos sobre { $topics } ya están desactivados.
unsubscribe-manage = Elegir de qué se te avisa
unsubscribe-gone = Esta dirección ya no funciona. Inicia sesión para elegir sobre qué recibes correos.
preferences-push = Enviar a mis dispositivos
preferences-devices = Dispositivos
preferences-devices-hint = Navegadores donde Campus Hub muestra avisos aunque no haya ninguna página abierta. No se envía nada en horas de descanso.
preferences-no-devices = Ningún dispositivo recibe avisos todavía.
preferences-device = { $service }, desde { $since }
preferences-device-stop = Dejar de enviar
preferences-push-here = Recibir avisos en este dispositivo
preferences-push-on = Este dispositivo ya recibe avisos.
preferences-push-failed = No se pudo preparar este navegador para recibir avisos (puede que estén bloqueados en su configuración).
preferences-save = Guardar
preferences-back = Volver a tus avisos

rubric = Rúbrica (opcional)
rubric-hint = Los criterios con los que se juzga el trabajo, cada uno con niveles que valen puntos. Los mejores niveles de todos los criterios suman los puntos de la tarea. Vacíe una fila para quitarla; las filas en blanco del final añaden un nivel o un criterio.
rubric-criterion = Criterio { $number }
rubric-criterion-title = Qué se juzga
rubric-criterion-description = Qué se busca (opcional)
rubric-level = Nivel { $number }
rubric-level-title = nombre
rubric-level-points = puntos
rubric-shown = Cómo se califica
rubric-chosen = obtenido
field-rubric_total = Los mejores niveles de todos los criterios deben sumar los puntos de la tarea.
field-levels_count = Un criterio tiene de 1 a 10 niveles.
field-criteria_count = Una rúbrica tiene de 1 a 30 criterios.
nav-messages = Mensajes
messages-title = Mensajes
messages-none = Todavía no hay conversaciones. Los canales de clase de tus cursos aparecen aquí en cuanto estás en un curso.
messages-kind-direct = Directa
messages-kind-group = Grupo
messages-kind-course = Canal de clase
messages-unread = { $count ->
    [one] 1 sin leer
   *[other] { $count } sin leer
}
messages-start = Empezar una conversación
messages-no-contacts = Todavía no hay nadie con quien puedas empezar una conversación. Los estudiantes escriben a los docentes y compañeros de sus cursos.
messages-with = Con
messages-group-title = Nombre del grupo (opcional)
messages-group-hint = Elige a una persona para una conversación directa, o a varias (con un nombre, si quieres) para un grupo.
messages-start-button = Empezar
messages-members = Participantes
messages-older = Mensajes anteriores
messages-empty = Todavía no hay mensajes. Saluda.
messages-typing = { $name } está escribiendo…
messages-seen-by = Visto por { $names }
messages-deleted = Este mensaje fue eliminado.
messages-hidden = Un moderador retiró este mensaje.
messages-report = Denunciar este mensaje
messages-file = Enviar un archivo
messages-file-hint = Una imagen, un PDF, un texto o un documento de oficina, de hasta 10 MB.
messages-caption = Con un mensaje (opcional)
messages-send-file = Enviar el archivo
messages-file-size = { $kilobytes } KB
messages-edited = (editado)
messages-write = Escribir un mensaje
messages-body = Mensaje
messages-send = Enviar
messages-read-only = Esta conversación es de solo lectura: su curso está archivado.
field-choose_someone = Elige al menos a una persona.
nav-feed = Muro
nav-moderation = Moderación
feed-title = Muro
feed-new-posts = Publicaciones nuevas: mostrarlas
feed-empty = Todavía no hay nada. Aquí aparecen las publicaciones del muro de la escuela, de tus cursos y de las personas que sigues.
feed-older = Publicaciones anteriores
feed-write = Publicar algo
feed-nowhere = Todavía no hay ningún lugar donde puedas publicar.
posts-title = Publicación
posts-place = Dónde
posts-place-school = El muro de la escuela
posts-place-profile = Mi perfil
posts-body = Lo que quieres decir
posts-publish = Publicar
posts-status-held = Esperando a un moderador
posts-status-hidden = Ocultada por un moderador
posts-status-visible = Visible
posts-status-deleted = Eliminada
posts-reactions = Reacciones
posts-comments = { $count ->
    [one] 1 comentario
   *[other] { $count } comentarios
}
posts-comment = Comentar
posts-comment-body = Tu comentario
posts-reply = Responder
posts-reply-body = Tu respuesta
posts-report = Denunciar esta publicación
posts-report-comment = Denunciar este comentario
posts-report-reason = ¿Qué tiene de malo?
posts-report-send = Enviar la denuncia
posts-reported = Gracias. Los moderadores lo revisarán.
posts-picture = Imagen
posts-picture-hint = PNG, JPEG, GIF o WebP, de hasta 10 MB.
posts-picture-description = Qué muestra la imagen (para quien no puede verla)
posts-picture-add = Añadir una imagen
posts-picture-replace = Cambiar la imagen
posts-picture-send = Añadir la imagen
reaction-like = Me gusta
reaction-love = Me encanta
reaction-celebrate = Celebrar
reaction-insightful = Interesante
reaction-thanks = Gracias
moderation-title = Moderación
moderation-empty = No hay nada pendiente: ni denuncias ni nada retenido por la lista de palabras.
moderation-kind-post = Publicación
moderation-kind-comment = Comentario
moderation-kind-message = Mensaje
moderation-open-post = Abrir la publicación
moderation-held = Retenido por la lista de palabras de la escuela.
moderation-reports = { $count ->
    [one] 1 denuncia
   *[other] { $count } denuncias
}
moderation-note = Nota para el registro de auditoría (opcional)
moderation-hide = Ocultar
moderation-restore = Restaurar
moderation-dismiss = Descartar las denuncias
profile-follow = Seguir
profile-unfollow = Dejar de seguir
profile-mute = Silenciar
profile-unmute = Dejar de silenciar
profile-block = Bloquear
profile-unblock = Desbloquear
profile-message = Enviar un mensaje
profile-private = La escuela muestra el perfil de un estudiante a las personas de sus cursos.
profile-post-here = Publica en tu perfil desde el muro.
profile-no-posts = Todavía no hay publicaciones en este perfil.
messages-online = en línea
admin-community = Comunidad
community-rules = Normas de la comunidad
community-rules-hint = Los estudiantes siempre pueden escribir a los docentes de sus cursos, y los adultos solo pueden escribir a un estudiante a través de un curso que imparten.
community-student-messages = Los estudiantes pueden escribir a sus compañeros
community-student-messages-hint = Conversaciones directas y de grupo entre estudiantes que comparten un curso.
community-school-feed = Los estudiantes pueden publicar en el muro de la escuela
community-school-feed-hint = Si no, los estudiantes solo publican en los muros de sus cursos; el personal siempre puede publicar en el muro de la escuela.
community-profile-posts = Los estudiantes pueden publicar en su perfil
community-profile-posts-hint = El perfil propio de un estudiante, visible según la norma siguiente.
community-public-profiles = Toda la escuela ve los perfiles de los estudiantes
community-public-profiles-hint = Si no, solo los ven las personas de sus cursos y los administradores de la escuela.
community-words = Lista de palabras
community-words-hint = Una palabra o frase por línea. Una publicación o comentario que contenga una espera a un moderador antes de que nadie más la vea.
community-save = Guardar las normas
community-saved = Las normas están guardadas. Se aplican a lo que se empiece y escriba a partir de ahora.
messages-change = Editar o eliminar
messages-new-text = Texto nuevo
messages-save = Guardar
messages-delete = Eliminar para todos
messages-search = Buscar en esta conversación
messages-search-title = Buscar en { $conversation }
messages-search-open = Ver en la conversación

# Search
search-label = Buscar en la escuela
search-placeholder = Buscar cursos, lecciones, publicaciones, personas
search-button = Buscar
search-title = Búsqueda
search-title-for = Búsqueda: { $query }
search-words = Palabras
search-kind = Mostrar
search-kind-all = Todo
search-kind-course = Curso
search-kind-lesson = Lección
search-kind-post = Publicación
search-kind-comment = Comentario
search-kind-person = Persona
search-start = Escribe unas palabras para encontrar cursos, lecciones, publicaciones y personas de tu escuela.
search-trending = Tendencias de la semana
search-trending-courses = Cursos con más inscripciones
search-trending-viewed = Cursos más visitados
search-trending-posts = Publicaciones de las que se habla
search-none-for = No hay resultados para «{ $query }».
search-none-hint = Prueba con menos palabras, o con otras.
search-did-you-mean = ¿Quisiste decir
search-showing-for = Resultados para «{ $query }».
search-count = { $count ->
    [one] Un resultado
   *[other] { $count } resultados
}
search-more = Más resultados
search-suggestions-label = Sugerencias
search-one-suggestion = 1 sugerencia
search-suggestions-many = sugerencias
search-no-suggestions = Sin sugerencias
